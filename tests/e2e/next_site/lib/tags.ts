// The site's cache-tag scheme, in one place: every page of a category carries this tag, so
// one purge of it refreshes the whole category (tests/e2e/test_next_rename.py renames it).
export function categoryTag(category: string): string {
  return `category-${category}`;
}
