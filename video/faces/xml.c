/* A recursive-descent-free XML reader: one pass over the text with an explicit
 * stack of open elements. Nodes live in one array sized by the count of '<'. */
#include "video/faces/xml.h"

#include <stdlib.h>
#include <string.h>

#include "av/files.h"
#include "av/status.h"

#define MAX_DEPTH 64

struct avs_xml {
  char *text;
  avs_xml_node *nodes;
  avs_xml_node *root;
};

/* Line numbers for messages, counted forward as the parser advances (once over the text). */
typedef struct {
  const char *at;
  int line;
} line_counter;

static int line_at(line_counter *lc, const char *p) {
  for (; lc->at < p; lc->at++) lc->line += *lc->at == '\n';
  return lc->line;
}

static int line_of(const char *start, const char *p) {
  line_counter lc = {start, 1};
  return line_at(&lc, p);
}

static int fail(const char *start, const char *p, const char *what) {
  return avs_seterr(AVS_EFORMAT, "not well-formed XML at line %d: %s", line_of(start, p), what);
}

static int is_name_char(char c) {
  return c && !strchr(" \t\r\n/>=\"'<", c);
}

/* Skips "<!-- ... -->", "<?...?>" or "<!...>" at p (which points at '<'); NULL when unterminated. */
static char *skip_markup(char *p) {
  if (!strncmp(p, "<!--", 4)) {
    char *e = strstr(p + 4, "-->");
    return e ? e + 3 : NULL;
  }
  char *e = strchr(p, '>');
  return e ? e + 1 : NULL;
}

/* Attributes up to '>' or "/>": returns the position of that end, NULL when malformed. */
static char *skip_attributes(char *p) {
  while (*p && *p != '>' && !(*p == '/' && p[1] == '>')) {
    if (*p == '"' || *p == '\'') {
      char *e = strchr(p + 1, *p);
      if (!e) return NULL;
      p = e + 1;
    } else {
      p++;
    }
  }
  return *p ? p : NULL;
}

int avs_xml_parse(char *text, avs_xml **out) {
  *out = NULL;
  avs_xml *x = calloc(1, sizeof *x);
  size_t cap = 1;
  for (const char *q = text; *q; q++) cap += *q == '<';
  if (!x || !(x->nodes = calloc(cap, sizeof *x->nodes))) {
    free(x);
    free(text);
    return avs_seterr(AVS_ENOMEM, "out of memory reading XML");
  }
  x->text = text;
  avs_xml_node *stack[MAX_DEPTH], *last_child[MAX_DEPTH];
  int depth = 0;
  size_t used = 0;
  int rc = 0;
  char *p = text;
  line_counter lines = {text, 1};
  while (*p) {
    if (*p != '<') {
      /* Text: kept for the innermost open element (leaf values in cascades). */
      char *e = strchr(p, '<');
      if (depth > 0 && !stack[depth - 1]->child && !*stack[depth - 1]->text) stack[depth - 1]->text = p;
      if (!e) break;
      p = e;
      continue;
    }
    if (p[1] == '!' || p[1] == '?') {
      char *e = skip_markup(p);
      if (!e) { rc = fail(text, p, "unterminated comment or declaration"); goto fail; }
      *p = '\0'; /* ends any text before it */
      p = e;
      continue;
    }
    if (p[1] == '/') {
      char *name = p + 2, *e = name;
      while (is_name_char(*e)) e++;
      char *gt = strchr(e, '>');
      if (!depth) { rc = fail(text, p, "closing tag without an open element"); goto fail; }
      size_t len = (size_t)(e - name);
      const char *open = stack[depth - 1]->name;
      if (!gt || strlen(open) != len || strncmp(open, name, len)) {
        rc = fail(text, p, "closing tag does not match");
        goto fail;
      }
      *p = '\0';
      depth--;
      p = gt + 1;
      continue;
    }
    /* An opening tag. */
    char *name = p + 1, *e = name;
    while (is_name_char(*e)) e++;
    if (e == name) { rc = fail(text, p, "a '<' that starts no tag"); goto fail; }
    char *end = skip_attributes(e);
    if (!end) { rc = fail(text, p, "unterminated tag"); goto fail; }
    int self_closing = *end == '/';
    *p = '\0';
    *e = '\0';
    if (depth == MAX_DEPTH) { rc = fail(text, p, "elements nested too deep"); goto fail; }
    AVS_ASSERT(used < cap);
    avs_xml_node *n = &x->nodes[used++];
    n->name = name;
    n->text = "";
    n->line = line_at(&lines, p);
    if (depth == 0) {
      if (x->root) { rc = fail(text, p, "more than one top element"); goto fail; }
      x->root = n;
    } else {
      avs_xml_node *parent = stack[depth - 1];
      if (last_child[depth - 1]) last_child[depth - 1]->next = n;
      else parent->child = n;
      last_child[depth - 1] = n;
    }
    p = end + (self_closing ? 2 : 1);
    if (!self_closing) {
      stack[depth] = n;
      last_child[depth] = NULL;
      depth++;
    }
  }
  if (depth) { rc = fail(text, p, "the file ends inside an element"); goto fail; }
  if (!x->root) { rc = avs_seterr(AVS_EFORMAT, "not XML: no element found"); goto fail; }
  *out = x;
  return 0;
fail:
  avs_xml_free(&x);
  return rc;
}

int avs_xml_load(const char *path, avs_xml **out) {
  char *text = NULL;
  int rc = avs_read_text(path, &text);
  if (rc) return rc;
  return avs_xml_parse(text, out);
}

void avs_xml_free(avs_xml **x) {
  if (!*x) return;
  free((*x)->nodes);
  free((*x)->text);
  free(*x);
  *x = NULL;
}

const avs_xml_node *avs_xml_root(const avs_xml *x) { return x->root; }

const avs_xml_node *avs_xml_child(const avs_xml_node *n, const char *name) {
  for (const avs_xml_node *c = n ? n->child : NULL; c; c = c->next)
    if (!strcmp(c->name, name)) return c;
  return NULL;
}

int avs_xml_count(const avs_xml_node *n) {
  int k = 0;
  for (const avs_xml_node *c = n ? n->child : NULL; c; c = c->next) k++;
  return k;
}
