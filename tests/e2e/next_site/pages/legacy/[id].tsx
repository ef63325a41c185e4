// Pages Router ISR page: getStaticPaths + getStaticProps with revalidate, regenerated on demand
// by /api/revalidate-pages (res.revalidate).
import type { GetStaticPaths, GetStaticProps } from "next";
import { type Post, readPosts } from "../../lib/posts";

type Props = { post: Post; generatedAt: string };

export const getStaticPaths: GetStaticPaths = async () => {
  const posts = await readPosts();
  return { paths: posts.map((post) => ({ params: { id: post.slug } })), fallback: "blocking" };
};

export const getStaticProps: GetStaticProps<Props> = async ({ params }) => {
  const post = (await readPosts()).find((item) => item.slug === params?.id);
  if (!post) return { notFound: true };
  return { props: { post, generatedAt: new Date().toISOString() }, revalidate: 3600 };
};

export default function LegacyPost({ post, generatedAt }: Props) {
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
