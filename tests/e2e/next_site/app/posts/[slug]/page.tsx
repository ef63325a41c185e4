import { notFound } from "next/navigation";
import { getCategory, getPost, getPosts } from "../../../lib/posts";

export const revalidate = 3600;

export async function generateStaticParams() {
  const posts = await getPosts();
  return posts.map((post) => ({ slug: post.slug }));
}

export default async function PostPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug } = await params;
  const post = await getPost(slug);
  if (!post) notFound();
  const category = post.category ? await getCategory(post.category) : null;
  return (
    <article>
      <h1 id="title">{post.title}</h1>
      <div id="body">{post.body}</div>
      {category && <p>Filed under <span id="category">{category.name}</span></p>}
      <p>
        generated at <time id="generated-at">{new Date().toISOString()}</time>
      </p>
    </article>
  );
}
