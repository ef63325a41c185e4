// The Pages Router route of the tutorials: GET /shop/api/revalidate-pages?secret=S&path=P.
export default async function handler(req, res) {
  if (req.query.secret !== process.env.REVALIDATE_SECRET) {
    return res.status(401).json({ message: "Invalid token" });
  }
  const path = req.query.path;
  if (typeof path !== "string" || !path.startsWith("/")) {
    return res.status(400).json({ message: "Missing path" });
  }
  try {
    await res.revalidate(path);
    return res.json({ revalidated: true });
  } catch {
    return res.status(500).send("Error revalidating");
  }
}
