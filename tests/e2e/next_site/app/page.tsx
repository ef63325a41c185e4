import Link from "next/link";
import { getPosts } from "../lib/posts";

export const revalidate = 3600;

export default async function Home() {
  const posts = await getPosts();
  return (
    <main>
      <h1>Posts</h1>
      <ul id="posts">
        {posts.map((post) => (
          <li key={post.slug}>
            <Link href={`/posts/${post.slug}`}>{post.title}</Link>
          </li>
        ))}
      </ul>
      <p>
        generated at <time id="generated-at">{new Date().toISOString()}</time>
      </p>
    </main>
  );
}
