// Next 16 fixture of the ISR Desk end-to-end tests: Cache Components ('use cache',
// cacheTag, cacheLife), served by two `next start` instances of one build.
/** @type {import('next').NextConfig} */
const nextConfig = {
  cacheComponents: true,
  poweredByHeader: false,
  generateBuildId: async () => "isr-desk-e2e-next16",
  outputFileTracingRoot: import.meta.dirname,
  turbopack: { root: import.meta.dirname },
  experimental: {
    // Regenerated pages stay in memory: `next start` never rewrites the cached build, and
    // each instance has its own cache (as without a shared cacheHandler in production).
    isrFlushToDisk: false,
  },
};

export default nextConfig;
