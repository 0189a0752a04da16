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

/* Temporaries in flight: every writer that writes to a temporary name and
 * renames it when complete tracks the name from before the file is created
 * until the rename (or its removal), so that an app stopped by a signal can
 * remove them all (avs_tmp_remove_all). Thread-safe and lock-free; the
 * register holds AVS_TMP_MAX names of fewer than AVS_TMP_PATH bytes
 * (AVS_EINVAL beyond, and nothing is tracked). */
#define AVS_TMP_MAX 256
#define AVS_TMP_PATH 1024
int avs_tmp_track(const char *path);
/* A temporary folder of outputs, removed with the files in it (not sub-folders). */
int avs_tmp_track_folder(const char *path);
void avs_tmp_forget(const char *path); /* every slot holding path */
/* Removes every tracked file, then every tracked folder, and forgets them;
 * system calls only, so it may be called from a signal handler. */
void avs_tmp_remove_all(void);

#endif
