// Next.js config of the ISR Desk end-to-end site.
/** @type {import('next').NextConfig} */
const nextConfig = {
  poweredByHeader: false,
  // A fixed build id: two builds of the same sources give comparable manifests.
  generateBuildId: async () => "isr-desk-e2e",
  // This directory is the project root (no parent lockfile guessing).
  outputFileTracingRoot: import.meta.dirname,
  turbopack: { root: import.meta.dirname },
  experimental: {
    // Regenerated pages stay in memory: `next start` never rewrites the build output, so one
    // cached build serves every test session from the same, pristine prerendered pages.
    isrFlushToDisk: false,
  },
};

export default nextConfig;
