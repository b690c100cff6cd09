// The demo catalog as data, read from seed/demo.sql, so tests derive what the shop should show from the
// same rows the shop was seeded with instead of hard-coding results.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './shop.mjs';

/** Parses the SQL literals of one VALUES list: numbers, NULL and '…' strings ('' escapes a quote). */
function parseValues(text) {
  const values = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === ',') {
      i += 1;
    } else if (c === "'") {
      let s = '';
      i += 1;
      for (;;) {
        if (text[i] === "'" && text[i + 1] === "'") { s += "'"; i += 2; }
        else if (text[i] === "'") { i += 1; break; }
        else { s += text[i]; i += 1; }
      }
      values.push(s);
    } else {
      const m = /^(NULL|-?\d+(?:\.\d+)?)/.exec(text.slice(i));
      if (!m) throw new Error(`cannot parse SQL literal at: ${text.slice(i, i + 40)}`);
      values.push(m[1] === 'NULL' ? null : Number(m[1]));
      i += m[1].length;
    }
  }
  return values;
}

/** Every row of every table the seed inserts into: `{ products: [{ id, slug, … }], … }`. */
export function loadSeed(path = join(ROOT, 'seed', 'demo.sql')) {
  const tables = {};
  const insert = /^INSERT INTO (\w+) \(([^)]*)\) VALUES \((.*)\) ON CONFLICT DO NOTHING;$/;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = insert.exec(line);
    if (!m) continue;
    const columns = m[2].split(',').map((s) => s.trim());
    const values = parseValues(m[3]);
    if (values.length !== columns.length) throw new Error(`column/value mismatch in: ${line.slice(0, 120)}`);
    const row = Object.fromEntries(columns.map((c, i) => [c, values[i]]));
    (tables[m[1]] ??= []).push(row);
  }
  return tables;
}

/** Lowercases and strips Vietnamese marks and đ, the way the shop's search folds text. */
export function fold(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();
}

/** Words as SQLite's unicode61 tokenizer sees them: folded, split on everything but letters and digits. */
export function tokens(s) {
  return fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** The seed with the views tests need: active products, their active variants, category subtrees. */
export function catalog() {
  const seed = loadSeed();
  const categories = seed.categories;
  const products = seed.products;
  const variants = seed.variants;
  const active = products.filter((p) => p.status === 'active');
  const variantsOf = (p) => variants.filter((v) => v.product_id === p.id && v.status === 'active');
  const available = (v) => Math.max(v.on_hand - (v.reserved ?? 0), 0);
  const categoryBySlug = (slug) => categories.find((c) => c.slug === slug);
  /** Active products whose category is `slug` or one under it. */
  const inCategory = (slug) => {
    const root = categoryBySlug(slug);
    const ids = new Set(categories.filter((c) => c.path.startsWith(root.path)).map((c) => c.id));
    return active.filter((p) => ids.has(p.category_id));
  };
  const tagsOf = (p) => (seed.product_tags ?? []).filter((t) => t.product_id === p.id).map((t) => t.tag);
  const colors = seed.colors;
  const colorNames = Object.fromEntries(colors.map((x) => [x.code, `${x.name_vi} ${x.name_en}`]));
  /**
   * A product's words per column of the search index, as the migration's triggers fill it: name (both
   * languages), tags, body (brand, descriptions, materials), variants (every SKU and colour name).
   */
  const searchColumns = (p) => {
    const vs = variants.filter((v) => v.product_id === p.id);
    return {
      name: tokens(`${p.name_vi} ${p.name_en}`),
      tags: tokens(tagsOf(p).join(' ')),
      body: tokens([p.brand, p.description_vi, p.description_en, p.material_vi, p.material_en].join(' ')),
      variants: tokens(`${vs.map((v) => v.sku).join(' ')} ${[...new Set(vs.map((v) => colorNames[v.color]))].join(' ')}`),
    };
  };
  /**
   * Which active products a search should find: every word, the last one as a prefix; when that finds
   * nothing and there are several words, any word (`partial`). Returns { slugs (sorted), partial }.
   */
  const searchModel = (q) => {
    const terms = tokens(q).slice(0, 8);
    if (terms.length === 0) return { slugs: [], partial: false };
    const matches = (words, term, i) => (i === terms.length - 1 ? words.some((w) => w.startsWith(term)) : words.includes(term));
    const words = (p) => Object.values(searchColumns(p)).flat();
    let found = active.filter((p) => terms.every((t, i) => matches(words(p), t, i)));
    let partial = false;
    if (found.length === 0 && terms.length > 1) {
      found = active.filter((p) => terms.some((t, i) => matches(words(p), t, i)));
      partial = true;
    }
    return { slugs: found.map((p) => p.slug).sort(), partial };
  };
  return {
    seed,
    categories,
    products,
    variants,
    colors,
    sizes: seed.sizes,
    active,
    drafts: products.filter((p) => p.status === 'draft'),
    archived: products.filter((p) => p.status === 'archived'),
    variantsOf,
    available,
    categoryBySlug,
    inCategory,
    tagsOf,
    searchColumns,
    searchModel,
    /** Those of `products` that have an active variant matching `pred`. */
    withVariant: (list, pred) => list.filter((p) => variantsOf(p).some(pred)),
    productById: (id) => products.find((p) => p.id === id),
    childrenOf: (c) => categories.filter((x) => x.parent_id === c.id),
  };
}

/** `1.250.000 ₫` (vi) or `₫1,250,000` (en), as the shop formats VND. */
export function formatVnd(amount, locale) {
  const digits = String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, locale === 'vi' ? '.' : ',');
  return locale === 'vi' ? `${digits} ₫` : `₫${digits}`;
}

/** `1.250.000 ₫`, as the Vietnamese pages write an amount of đồng. */
export const vnd = (amount) => formatVnd(amount, 'vi');
