import { notFound } from "next/navigation";
import { getPost, getPosts } from "../../../lib/posts";

export const revalidate = 3600;

export async function generateStaticParams() {
  return (await getPosts()).map((post) => ({ slug: post.slug }));
}

export default async function BlogPost({ params }) {
  const post = await getPost(decodeURIComponent(params.slug));
  if (!post) notFound();
  return (
    <article>
      <h1 id="title">{post.title}</h1>
      <div id="body">{post.body}</div>
      <p>
        generated at <time id="generated-at">{new Date().toISOString()}</time>
      </p>
    </article>
  );
}
