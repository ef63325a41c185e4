// Post data: a JSON file (DATA_FILE, default ./data/posts.json) the tests rewrite while the
// site runs. Pages read it through a tagged cache ("posts", "post:<slug>");
import { readFile } from "node:fs/promises";
import path from "node:path";
import { unstable_cache } from "next/cache";

function dataFile() {
  return process.env.DATA_FILE || path.join(process.cwd(), "data", "posts.json");
}

export async function readPosts() {
  return JSON.parse(await readFile(dataFile(), "utf8")).posts;
}

export const getPosts = unstable_cache(readPosts, ["posts-list"], { tags: ["posts"] });

export function getPost(slug) {
  return unstable_cache(
    async () => (await readPosts()).find((post) => post.slug === slug) ?? null,
    ["post", slug],
    { tags: ["posts", `post:${slug}`] },
  )();
}
