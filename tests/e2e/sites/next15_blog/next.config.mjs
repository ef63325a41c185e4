// Next 15.5 fixture of the ISR Desk end-to-end tests: a blog in two languages with
// trailing slashes (/en/blog/<slug>/).
/** @type {import('next').NextConfig} */
const nextConfig = {
  trailingSlash: true,
  poweredByHeader: false,
  generateBuildId: async () => "isr-desk-e2e-next15",
  outputFileTracingRoot: import.meta.dirname,
  experimental: {
    // Regenerated pages stay in memory: `next start` never rewrites the cached build.
    isrFlushToDisk: false,
  },
};

export default nextConfig;
