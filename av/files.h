/* Small file-system helpers the library's writers share. */
#ifndef AVS_FILES_H
#define AVS_FILES_H

/* mkdir -p: AVS_EIO naming the folder that cannot be made or written, or a
 * path component that is not a folder; AVS_EINVAL for an empty path. */
int avs_mkdirs(const char *dir);
/* Writes text to path through a temporary file and a rename (never half-written). */
int avs_write_text(const char *path, const char *text);
/* The whole file as a NUL-terminated string (free() it). */
int avs_read_text(const char *path, char **out);

#endif
