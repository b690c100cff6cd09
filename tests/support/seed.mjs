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

/** The synonym groups the migration seeds: entries folded, and as written (lowercased, marks kept). */
const SYNONYMS = (() => {
  const sql = readFileSync(join(ROOT, 'migrations', '0031_search_synonyms.sql'), 'utf8');
  const block = sql.slice(sql.indexOf('INSERT INTO search_synonyms'), sql.indexOf(';', sql.indexOf('INSERT INTO search_synonyms')));
  return [...block.matchAll(/\('([^']+)'\)/g)].map(([, words]) => {
    const written = words.split(',').map((e) => e.trim().toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean));
    return { written, entries: written.map((e) => e.map(fold)) };
  });
})();

/** An English plural's singular (vests → vest, dresses → dress), as `domain::search::singular`. */
function singular(word) {
  if (word.length < 4 || !/^[\x00-\x7f]*$/.test(word) || /(ss|us|is)$/.test(word)) return null;
  if (/(sses|shes|ches|xes)$/.test(word)) return word.slice(0, -2);
  return word.endsWith('s') ? word.slice(0, -1) : null;
}

/** At most one letter wrong, missing, extra, or two neighbours swapped. */
function withinOneEdit(a, b) {
  if (a === b) return true;
  const [x, y] = [[...a], [...b]];
  const [short, long] = x.length <= y.length ? [x, y] : [y, x];
  if (long.length - short.length > 1) return false;
  let k = 0;
  while (k < short.length && short[k] === long[k]) k += 1;
  const rest = (arr, from) => arr.slice(from).join('');
  if (short.length === long.length) {
    return rest(short, k + 1) === rest(long, k + 1)
      || (short[k] === long[k + 1] && short[k + 1] === long[k] && rest(short, k + 2) === rest(long, k + 2));
  }
  return rest(short, k) === rest(long, k + 1);
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
   * Which active products a search should find (`app::search`): each word (or phrase of up to three)
   * a concept widened by its synonym group (migrations/0031's seeded groups), an English plural by
   * its singular, and a long word the index lacks by the index's words one letter away; every
   * concept required, the last word a prefix. Words typed with marks must have them (the
   * accent-keeping index) unless that finds nothing; when still nothing and there are several words,
   * any concept (`partial`). Returns { slugs (sorted), partial }.
   */
  const vocabulary = new Set(products.flatMap((p) => Object.values(searchColumns(p)).flat()));
  const searchModel = (q) => {
    const terms = tokens(q).slice(0, 8);
    if (terms.length === 0) return { slugs: [], partial: false };
    const lower = q.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean).slice(0, 8);
    const typed = lower.length === terms.length && lower.every((t, i) => fold(t) === terms[i]) ? lower : terms;
    const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
    const has = (list, e) => list.some((x) => same(x, e));
    const concepts = [];
    for (let i = 0; i < terms.length;) {
      let found = null;
      for (let len = Math.min(3, terms.length - i); len >= 1 && !found; len -= 1) {
        const [t, f] = [typed.slice(i, i + len), terms.slice(i, i + len)];
        const group = SYNONYMS.find((g) => (same(t, f) ? has(g.entries, f) : has(g.written, t)));
        if (group) found = { len, group };
      }
      const len = found?.len ?? 1;
      const [t, f] = [typed.slice(i, i + len), terms.slice(i, i + len)];
      const forms = [f];
      let exact = same(t, f) ? null : [t];
      if (found) {
        for (const e of found.group.entries) if (!has(forms, e)) forms.push(e);
        if (exact) for (const e of found.group.written) if (!has(exact, e)) exact.push(e);
      }
      const last = i + len === terms.length;
      if (len === 1) {
        const word = terms[i];
        const one = singular(word);
        if (one) {
          const group = SYNONYMS.find((g) => has(g.entries, [one]));
          if (group) { for (const e of group.entries) if (!has(forms, e)) forms.push(e); } else if (!has(forms, [one])) forms.push([one]);
        }
        const known = vocabulary.has(word) || (last && [...vocabulary].some((v) => v.startsWith(word)));
        if ([...word].length >= 5 && !known) {
          for (const v of vocabulary) if (withinOneEdit(v, word) && !has(forms, [v])) forms.push([v]);
        }
      }
      concepts.push({ forms, exact, prefix: last && len === 1 });
      i += len;
    }
    // A form matches a column when its words stand there in order (the first a prefix when asked).
    const inColumn = (col, form, prefix) => col.some((_, k) => form.every((w, j) => (prefix && form.length === 1 ? col[k + j]?.startsWith(w) : col[k + j] === w)));
    const matches = (columns, forms, prefix) => forms.some((form, j) => columns.some((col) => inColumn(col, form, prefix && j === 0)));
    const folded = (p) => Object.values(searchColumns(p));
    const marked = (p) => Object.values(markedColumns(p));
    const every = (withExact) => active.filter((p) => concepts.every((c) => matches(folded(p), c.forms, c.prefix))
      && (!withExact || concepts.every((c) => !c.exact || matches(marked(p), c.exact, c.prefix))));
    let found = every(true);
    if (found.length === 0 && concepts.some((c) => c.exact)) found = every(false);
    let partial = false;
    if (found.length === 0 && terms.length > 1) {
      found = active.filter((p) => concepts.some((c) => matches(folded(p), c.forms, c.prefix)));
      partial = true;
    }
    return { slugs: found.map((p) => p.slug).sort(), partial };
  };
  /** A product's words with their marks, lowercased, per column of the accent-keeping index. */
  const markedColumns = (p) => {
    const vs = variants.filter((v) => v.product_id === p.id);
    const words = (text) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    return {
      name: words(`${p.name_vi} ${p.name_en}`),
      tags: words(tagsOf(p).join(' ')),
      body: words([p.brand, p.description_vi, p.description_en, p.material_vi, p.material_en].join(' ')),
      colors: words([...new Set(vs.map((v) => colorNames[v.color]))].join(' ')),
    };
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
    /** Whether the search widens a word: an entry of a synonym group, or an English plural. */
    widens: (word) => singular(word) !== null || SYNONYMS.some((g) => g.entries.some((e) => e.length === 1 && e[0] === word)),
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
