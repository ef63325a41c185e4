import { notFound } from "next/navigation";
import { LANGS } from "../../../../lib/langs";
import { getPost, getPosts } from "../../../../lib/posts";

export const revalidate = 3600;

export async function generateStaticParams() {
  const posts = await getPosts();
  return LANGS.flatMap((lang) => posts.map((post) => ({ lang, slug: post.slug })));
}

export default async function BlogPost({ params }) {
  const { lang, slug } = await params;
  const post = await getPost(decodeURIComponent(slug));
  if (!post || !LANGS.includes(lang)) notFound();
  return (
    <article lang={lang}>
      <h1 id="title">{post.title}</h1>
      <div id="body">{post.body}</div>
      <p>
        generated at <time id="generated-at">{new Date().toISOString()}</time>
      </p>
    </article>
  );
}
