// The seed tutorials' Pages Router route: GET /api/revalidate-pages?secret=S&path=P.
import type { NextApiRequest, NextApiResponse } from "next";

export default async function handler(req: NextApiRequest, res: NextApiResponse) {
  const expected = process.env.REVALIDATE_SECRET;
  if (!expected || req.query.secret !== expected) {
    return res.status(401).json({ message: "Invalid token" });
  }
  const path = req.query.path;
  if (typeof path !== "string" || !path.startsWith("/")) {
    return res.status(400).json({ message: "Missing path" });
  }
  try {
    // The real path, not the rewritten one: e.g. /legacy/hello-world.
    await res.revalidate(path);
    return res.json({ revalidated: true });
  } catch {
    // Next keeps serving the last page it generated successfully.
    return res.status(500).json({ message: "Error revalidating" });
  }
}
