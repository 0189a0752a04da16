/* A small XML reader for OpenCV's FileStorage files (the cascades): elements,
 * their text, nothing else. Attributes, comments, <?...?> and <!...> are
 * skipped; entities are not expanded (OpenCV's cascades have none). */
#ifndef AVS_VIDEO_FACES_XML_H
#define AVS_VIDEO_FACES_XML_H

typedef struct avs_xml_node {
  const char *name;
  const char *text;                  /* the element's own text ("" when none), whitespace kept */
  struct avs_xml_node *child, *next; /* first child element, next sibling */
  int line;                          /* where the element starts, for messages */
} avs_xml_node;

typedef struct avs_xml avs_xml;

/* Parses the NUL-terminated text (taken: freed with the tree, edited in place).
 * AVS_EFORMAT with the line for text that is not well-formed XML. */
int avs_xml_parse(char *text, avs_xml **out);
/* Reads and parses a file (AVS_ENOTFOUND/AVS_EIO from reading it). */
int avs_xml_load(const char *path, avs_xml **out);
void avs_xml_free(avs_xml **x);

/* The top element. */
const avs_xml_node *avs_xml_root(const avs_xml *x);
/* The first child element called name, or NULL. */
const avs_xml_node *avs_xml_child(const avs_xml_node *n, const char *name);
/* The number of child elements. */
int avs_xml_count(const avs_xml_node *n);

#endif
