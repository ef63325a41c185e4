// The seed tutorials' revalidation route, App Router flavour:
//   POST /api/revalidate?secret=S  (or Authorization: Bearer S)
//   {"path": P, "type"?: "page"|"layout"} | {"tag": T, "profile"?: "max"|"expire"}
//   | {"paths": [...]} | {"tags": [...]}
import { revalidatePath, revalidateTag } from "next/cache";
import { NextRequest, NextResponse } from "next/server";

type Body = {
  path?: unknown;
  paths?: unknown;
  tag?: unknown;
  tags?: unknown;
  type?: unknown;
  profile?: unknown;
};

function secretOf(request: NextRequest): string | null {
  const auth = request.headers.get("authorization");
  if (auth?.startsWith("Bearer ")) return auth.slice("Bearer ".length);
  return request.nextUrl.searchParams.get("secret");
}

function strings(one: unknown, many: unknown): string[] | null {
  const items = [...(one === undefined ? [] : [one]), ...(Array.isArray(many) ? many : [])];
  if (many !== undefined && !Array.isArray(many)) return null;
  return items.every((item) => typeof item === "string" && item !== "") ? (items as string[]) : null;
}

export async function POST(request: NextRequest) {
  const expected = process.env.REVALIDATE_SECRET;
  if (!expected || secretOf(request) !== expected) {
    return NextResponse.json({ message: "Invalid token" }, { status: 401 });
  }
  let body: Body;
  try {
    body = (await request.json()) as Body;
  } catch {
    return NextResponse.json({ message: "Body must be JSON" }, { status: 400 });
  }
  const paths = strings(body?.path, body?.paths);
  const tags = strings(body?.tag, body?.tags);
  const type = body?.type;
  if (!paths || !tags || (paths.length === 0 && tags.length === 0)) {
    return NextResponse.json({ message: "Missing path or tag" }, { status: 400 });
  }
  if (type !== undefined && type !== "page" && type !== "layout") {
    return NextResponse.json({ message: 'type must be "page" or "layout"' }, { status: 400 });
  }
  // One line per request the route acted on: the tests read the exact set a run sent.
  console.log(`isr-desk-e2e revalidate ${JSON.stringify({ paths, tags })}`);
  try {
    for (const path of paths) revalidatePath(path, type);
    const profile = body.profile === "expire" ? { expire: 0 } : "max";
    for (const tag of tags) revalidateTag(tag, profile);
  } catch {
    return NextResponse.json({ message: "Error revalidating" }, { status: 500 });
  }
  return NextResponse.json({ revalidated: true, now: Date.now() });
}
