// A CMS webhook route: POST /api/revalidate/ with Authorization: Bearer <secret> and a plural
// body only: {"paths": [...], "type"?: "page"|"layout"} and/or {"tags": [...]}.
import { revalidatePath, revalidateTag } from "next/cache";

function list(value) {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string" && item)) return null;
  return value;
}

export async function POST(request) {
  const auth = request.headers.get("authorization") ?? "";
  if (auth !== `Bearer ${process.env.REVALIDATE_SECRET}`) {
    return Response.json({ message: "Unauthorized" }, { status: 401 });
  }
  let body;
  try {
    body = await request.json();
  } catch {
    return Response.json({ message: "Body must be JSON" }, { status: 400 });
  }
  const paths = list(body?.paths);
  const tags = list(body?.tags);
  const type = body?.type;
  if (!paths || !tags || paths.length + tags.length === 0) {
    return Response.json({ message: 'Send {"paths": [...]} or {"tags": [...]}' }, { status: 400 });
  }
  if (type !== undefined && type !== "page" && type !== "layout") {
    return Response.json({ message: 'type must be "page" or "layout"' }, { status: 400 });
  }
  paths.forEach((path) => revalidatePath(path, type));
  tags.forEach((tag) => revalidateTag(tag));
  return Response.json({ revalidated: true, paths, tags, now: Date.now() });
}
