// Next 14.2 fixture of the ISR Desk end-to-end tests: a shop under a base path, with an App
// Router blog and a Pages Router news section in two locales.
/** @type {import('next').NextConfig} */
const nextConfig = {
  basePath: "/shop",
  poweredByHeader: false,
  // Pages Router only: the App Router ignores i18n (its pages have no locale prefix).
  i18n: { locales: ["en", "de"], defaultLocale: "en" },
  generateBuildId: async () => "isr-desk-e2e-next14",
  experimental: {
    // Regenerated pages stay in memory: `next start` never rewrites the cached build.
    isrFlushToDisk: false,
  },
};

export default nextConfig;
