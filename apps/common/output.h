/* Atomic outputs: write to a temporary name beside the target, rename when
 * complete, so a failed run leaves no half-written file. */
#ifndef AVS_APP_OUTPUT_H
#define AVS_APP_OUTPUT_H

#include <stdbool.h>
#include <stdnoreturn.h>

/* "<dir>/.<base>.tmp<pid>.<ext>" for path (keeps the extension so libraries that
 * pick a format by extension, e.g. libsndfile or FFmpeg, still work). Free it. */
char *app_tmp_path(const char *path);
/* rename(tmp, path); on failure removes tmp and fails the app with a clear line. */
void app_commit(const char *tmp, const char *path);
/* Creates a directory (and parents) if missing; fails the app if it cannot. */
void app_mkdirs(const char *dir);
/* Registers a temporary file to remove if the app exits early (app_fail) or
 * is stopped by SIGINT, SIGTERM or SIGHUP (avs_tmp_track). */
void app_cleanup_on_exit(const char *tmp);
void app_cleanup_forget(const char *tmp);
bool app_file_exists(const char *path);
/* The overwrite rule for a file output: an existing path is refused (exit 1,
 * naming option `opt`) unless force. */
void app_check_new_file(const char *path, const char *opt, bool force);
/* Fails the app with the library's message for a failed write to tmp (the
 * temporary name of out), naming out instead. */
noreturn void app_fail_output(const char *tmp, const char *out);
/* Before long work, fail the app (one line naming opt) unless path can be
 * written: app_check_out_file, a file in an existing writable folder (not a
 * folder itself); app_check_out_dir, a writable folder or one that mkdir -p
 * can make (nothing is created). */
void app_check_out_file(const char *path, const char *opt);
void app_check_out_dir(const char *dir, const char *opt);

/* A folder of outputs made atomically: app_dir_begin checks that `dir` does
 * not exist or is an empty folder (else fails the app: nothing is ever mixed
 * into or overwritten in an existing folder) and returns a temporary folder
 * beside it to write into; app_dir_commit renames it to `dir`. If the app
 * exits before, the temporary folder and its files are removed. */
char *app_dir_begin(const char *dir);
void app_dir_commit(const char *tmp, const char *dir);

#endif
