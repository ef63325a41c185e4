// The route of the Next.js docs: GET /api/revalidate?secret=S&path=P or &tag=T
// (here under the base path: /shop/api/revalidate).
import { revalidatePath, revalidateTag } from "next/cache";

export const dynamic = "force-dynamic";

export async function GET(request) {
  const params = request.nextUrl.searchParams;
  if (params.get("secret") !== process.env.REVALIDATE_SECRET) {
    return Response.json({ message: "Invalid secret" }, { status: 401 });
  }
  const path = params.get("path");
  const tag = params.get("tag");
  if (path) {
    revalidatePath(path);
    return Response.json({ revalidated: true, now: Date.now() });
  }
  if (tag) {
    revalidateTag(tag);
    return Response.json({ revalidated: true, now: Date.now() });
  }
  return Response.json({ revalidated: false, now: Date.now(), message: "Missing path to revalidate" });
}
