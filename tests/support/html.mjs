// A small HTML reader for the shop's server-rendered pages: enough of a DOM to find elements by tag,
// class and attribute and read their text. The pages are maud output (well-formed, quoted attributes),
// so a tokenizer and a stack build a faithful tree without a browser or a dependency.

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const RAW_TEXT = new Set(['script', 'style']);

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', '#39': "'" };

export function decodeEntities(s) {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return String.fromCodePoint(code);
    }
    return ENTITIES[name] ?? whole;
  });
}

class Element {
  constructor(tag, attrs, parent) {
    this.tag = tag;
    this.attrs = attrs;
    this.parent = parent;
    this.children = [];
  }

  attr(name) {
    return this.attrs[name];
  }

  hasClass(name) {
    return (this.attrs.class ?? '').split(/\s+/).includes(name);
  }

  /** Text content, entities decoded, whitespace as written. */
  get text() {
    return this.children.map((c) => (typeof c === 'string' ? c : c.text)).join('');
  }

  /** Every descendant element matching `selector` (see `matches`), in document order. */
  findAll(selector) {
    const out = [];
    const walk = (node) => {
      for (const child of node.children) {
        if (typeof child === 'string') continue;
        if (matches(child, selector)) out.push(child);
        walk(child);
      }
    };
    walk(this);
    return out;
  }

  find(selector) {
    return this.findAll(selector)[0] ?? null;
  }

  closest(selector) {
    for (let node = this.parent; node; node = node.parent) {
      if (node.tag && matches(node, selector)) return node;
    }
    return null;
  }
}

/**
 * A selector is a compound of `tag`, `.class`, `#id` and `[attr]`, `[attr="v"]`, `[attr^="v"]`,
 * `[attr*="v"]`, `[attr$="v"]` parts, e.g. `article.product[data-sku]`,
 * `link[rel="alternate"][hreflang="en"]`; or a predicate function. Descendant combinators are spaces:
 * `form.filters input[name="size"]`. Anything else throws, so a typo cannot silently match nothing.
 */
function matches(el, selector) {
  if (typeof selector === 'function') return selector(el);
  const parts = parseSelector(selector);
  if (!matchesCompound(el, parts[parts.length - 1])) return false;
  let node = el.parent;
  for (let i = parts.length - 2; i >= 0; i -= 1) {
    while (node && !(node.tag && matchesCompound(node, parts[i]))) node = node.parent;
    if (!node) return false;
    node = node.parent;
  }
  return true;
}

const parsedSelectors = new Map();

/** Parses `a.b[c="d"] e` into compounds of simple tests, once per selector. */
function parseSelector(selector) {
  let parts = parsedSelectors.get(selector);
  if (parts) return parts;
  parts = selector.trim().split(/\s+(?![^[]*\])/).map((compound) => {
    const tests = [];
    const re = /([.#]?)([\w-]+)|\[([\w:-]+)(?:([\^*$]?)="([^"]*)")?\]/y;
    let m;
    while (re.lastIndex < compound.length && (m = re.exec(compound))) {
      if (m[3] !== undefined) tests.push({ attr: m[3], op: m[4] ?? '', value: m[5] });
      else if (m[1] === '.') tests.push({ cls: m[2] });
      else if (m[1] === '#') tests.push({ id: m[2] });
      else tests.push({ tag: m[2].toLowerCase() });
    }
    if (re.lastIndex !== compound.length || tests.length === 0) throw new Error(`unsupported selector: ${selector}`);
    return tests;
  });
  parsedSelectors.set(selector, parts);
  return parts;
}

function matchesCompound(el, tests) {
  return tests.every((t) => {
    if (t.tag !== undefined) return el.tag === t.tag;
    if (t.cls !== undefined) return el.hasClass(t.cls);
    if (t.id !== undefined) return el.attrs.id === t.id;
    const actual = el.attrs[t.attr];
    if (actual === undefined) return false;
    if (t.value === undefined) return true;
    switch (t.op) {
      case '^': return actual.startsWith(t.value);
      case '*': return actual.includes(t.value);
      case '$': return actual.endsWith(t.value);
      default: return actual === t.value;
    }
  });
}

/** Parses a whole document; returns the root (an element with tag null). */
export function parseHtml(html) {
  const root = new Element(null, {}, null);
  let current = root;
  const tagRe = /<!--[\s\S]*?-->|<!DOCTYPE[^>]*>|<\/([a-zA-Z][\w-]*)\s*>|<([a-zA-Z][\w-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*(\/?)>/g;
  let last = 0;
  let m;
  while ((m = tagRe.exec(html))) {
    if (m.index > last) current.children.push(decodeEntities(html.slice(last, m.index)));
    last = tagRe.lastIndex;
    if (m[1]) {
      const tag = m[1].toLowerCase();
      // Close up to the matching open element; a stray end tag is ignored.
      let node = current;
      while (node && node.tag !== tag) node = node.parent;
      if (node) current = node.parent;
    } else if (m[2]) {
      const tag = m[2].toLowerCase();
      const attrs = {};
      const attrRe = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;
      let a;
      while ((a = attrRe.exec(m[3]))) attrs[a[1].toLowerCase()] = decodeEntities(a[2] ?? a[3] ?? a[4] ?? '');
      const el = new Element(tag, attrs, current);
      current.children.push(el);
      if (RAW_TEXT.has(tag)) {
        const end = html.toLowerCase().indexOf(`</${tag}`, last);
        const stop = end === -1 ? html.length : end;
        el.children.push(html.slice(last, stop)); // raw: no entity decoding inside script/style
        const close = html.indexOf('>', stop);
        last = close === -1 ? html.length : close + 1;
        tagRe.lastIndex = last;
      } else if (!VOID.has(tag) && !m[4]) {
        current = el;
      }
    }
  }
  if (last < html.length) current.children.push(decodeEntities(html.slice(last)));
  return root;
}

/** Collapses runs of whitespace, for comparing visible text. */
export function squash(s) {
  return s.replace(/\s+/g, ' ').trim();
}
