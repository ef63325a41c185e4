import Link from "next/link";
import { listPosts } from "../lib/posts";

export default async function Home() {
  const { posts, generatedAt } = await listPosts();
  return (
    <main>
      <ul>
        {posts.map((post) => (
          <li key={post.slug}>
            <Link href={`/blog/${post.slug}`}>{post.title}</Link>
          </li>
        ))}
      </ul>
      <p>
        generated at <time id="generated-at">{generatedAt}</time>
      </p>
    </main>
  );
}
