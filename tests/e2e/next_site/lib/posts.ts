// Post data: a JSON file on disk (DATA_FILE, default ./data/posts.json), read through a tagged
// cache so a page only changes after a revalidation (path, tag "posts" or "post:<slug>"; a
// category's name: its category tag, lib/tags.ts).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { unstable_cache } from "next/cache";
import { categoryTag } from "./tags";

export type Post = { slug: string; title: string; body: string; category?: string };
export type Category = { slug: string; name: string };

function dataFile(): string {
  return process.env.DATA_FILE || path.join(process.cwd(), "data", "posts.json");
}

/** Reads the data file as it is now (no cache): the Pages Router page uses this. */
export async function readPosts(): Promise<Post[]> {
  // The data file is chosen at run time (tests point DATA_FILE at a temp copy): no tracing.
  const raw = await readFile(/*turbopackIgnore: true*/ dataFile(), "utf8");
  return (JSON.parse(raw) as { posts: Post[] }).posts;
}

async function readCategories(): Promise<Category[]> {
  const raw = await readFile(/*turbopackIgnore: true*/ dataFile(), "utf8");
  return (JSON.parse(raw) as { categories?: Category[] }).categories ?? [];
}

export const getPosts = unstable_cache(readPosts, ["posts-list"], { tags: ["posts"] });

export function getPost(slug: string): Promise<Post | null> {
  return unstable_cache(
    async () => (await readPosts()).find((post) => post.slug === slug) ?? null,
    ["post", slug],
    { tags: ["posts", `post:${slug}`] },
  )();
}

export function getCategory(slug: string): Promise<Category | null> {
  return unstable_cache(
    async () => (await readCategories()).find((category) => category.slug === slug) ?? null,
    ["category", slug],
    { tags: [categoryTag(slug)] },
  )();
}
