import Link from "next/link";
import { getPosts } from "../lib/posts";

export const revalidate = 3600;

export default async function Home() {
  const posts = await getPosts();
  return (
    <ul>
      {posts.map((post) => (
        <li key={post.slug}>
          <Link href={`/blog/${post.slug}`}>{post.title}</Link>
        </li>
      ))}
    </ul>
  );
}
