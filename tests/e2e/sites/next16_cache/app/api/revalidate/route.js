// A route that takes its secret in a custom header and answers 403 on a mismatch:
// POST /api/revalidate, x-revalidate-token: <secret>, {"tag": T} or {"path": P, "type"?}.
import { revalidatePath, revalidateTag } from "next/cache";

export async function POST(request) {
  if (request.headers.get("x-revalidate-token") !== process.env.REVALIDATE_SECRET) {
    return Response.json({ message: "Forbidden" }, { status: 403 });
  }
  let body;
  try {
    body = await request.json();
  } catch {
    return Response.json({ message: "Body must be JSON" }, { status: 400 });
  }
  const { tag, path, type } = body ?? {};
  if (typeof tag === "string" && tag) {
    revalidateTag(tag, "max");
    return Response.json({ revalidated: true, tag, now: Date.now() });
  }
  if (typeof path === "string" && path) {
    revalidatePath(path, type === "page" || type === "layout" ? type : undefined);
    return Response.json({ revalidated: true, path, now: Date.now() });
  }
  return Response.json({ message: "Send a tag or a path" }, { status: 400 });
}
