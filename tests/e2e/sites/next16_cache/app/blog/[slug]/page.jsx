import { notFound } from "next/navigation";
import { listPosts, loadPost } from "../../../lib/posts";

export async function generateStaticParams() {
  const { posts } = await listPosts();
  return posts.map((post) => ({ slug: post.slug }));
}

export default async function BlogPost({ params }) {
  const { slug } = await params;
  const { post, generatedAt } = await loadPost(decodeURIComponent(slug));
  if (!post) notFound();
  return (
    <article>
      <h1 id="title">{post.title}</h1>
      <div id="body">{post.body}</div>
      <p>
        generated at <time id="generated-at">{generatedAt}</time>
      </p>
    </article>
  );
}
