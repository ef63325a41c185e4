export const LANGS = ["en", "fr"];
