import Link from "next/link";
import { LANGS } from "../lib/langs";

export default function Home() {
  return (
    <ul>
      {LANGS.map((lang) => (
        <li key={lang}>
          <Link href={`/${lang}/blog/hello-world/`}>{lang}</Link>
        </li>
      ))}
    </ul>
  );
}
