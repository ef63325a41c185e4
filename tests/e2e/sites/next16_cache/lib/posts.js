// Post data: a JSON file (DATA_FILE, default ./data/posts.json) the tests rewrite while the
// site runs, read in 'use cache' functions tagged "posts" and "post:<slug>".
import { readFile } from "node:fs/promises";
import path from "node:path";
import { cacheLife, cacheTag } from "next/cache";

async function readPosts() {
  const file = process.env.DATA_FILE || path.join(process.cwd(), "data", "posts.json");
  return JSON.parse(await readFile(/*turbopackIgnore: true*/ file, "utf8")).posts;
}

export async function listPosts() {
  "use cache";
  cacheTag("posts");
  cacheLife("max");
  return { posts: await readPosts(), generatedAt: new Date().toISOString() };
}

export async function loadPost(slug) {
  "use cache";
  cacheTag("posts", `post:${slug}`);
  cacheLife("hours");
  const post = (await readPosts()).find((item) => item.slug === slug) ?? null;
  return { post, generatedAt: new Date().toISOString() };
}
