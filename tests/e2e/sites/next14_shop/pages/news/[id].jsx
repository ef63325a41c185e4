// Pages Router ISR page in every locale: /shop/news/<id> (en) and /shop/de/news/<id>.
import { readPosts } from "../../lib/posts";

export async function getStaticPaths({ locales }) {
  const posts = await readPosts();
  const paths = locales.flatMap((locale) =>
    posts.map((post) => ({ params: { id: post.slug }, locale })),
  );
  return { paths, fallback: "blocking" };
}

export async function getStaticProps({ params, locale }) {
  const post = (await readPosts()).find((item) => item.slug === params.id);
  if (!post) return { notFound: true };
  return { props: { post, locale, generatedAt: new Date().toISOString() }, revalidate: 3600 };
}

export default function NewsPost({ post, locale, generatedAt }) {
  return (
    <article>
      <h1 id="title">{post.title}</h1>
      <div id="body">{post.body}</div>
      <p id="locale">{locale}</p>
      <p>
        generated at <time id="generated-at">{generatedAt}</time>
      </p>
    </article>
  );
}
