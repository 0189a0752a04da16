/* The FFmpeg boundary (ff/): FFmpeg and errno codes map to the same AVS_E*
 * codes, and a wrong path gets the same code and one line naming it from the
 * audio track reader, avs_audio_load and the video decoder. Also
 * avs_errprefix, which callers use to add a path to a message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audio/audio_track.h"
#include "ff/ff.h"
#include "tests/harness.h"
#include "video/decode.h"

static char dir[64];

static void write_file(const char *path, const char *text, mode_t mode) {
  FILE *f = fopen(path, "w");
  AVS_ASSERT(f);
  fputs(text, f);
  AVS_ASSERT(fclose(f) == 0);
  AVS_ASSERT(chmod(path, mode) == 0);
}

static void check_codes(void) {
  static const struct {
    int ff, avs;
    const char *name;
  } map[] = {
      {AVERROR(ENOENT), AVS_ENOTFOUND, "ENOENT"},
      {AVERROR(ENOMEM), AVS_ENOMEM, "ENOMEM"},
      {AVERROR(EINVAL), AVS_EINVAL, "EINVAL"},
      {AVERROR(EACCES), AVS_EIO, "EACCES"},
      {AVERROR(ENOSPC), AVS_EIO, "ENOSPC"},
      {AVERROR(EISDIR), AVS_EIO, "EISDIR"},
      {AVERROR(EIO), AVS_EIO, "EIO"},
      {AVERROR(ENOSYS), AVS_EUNSUPPORTED, "ENOSYS"},
      {AVERROR_EOF, AVS_EFORMAT, "AVERROR_EOF"},
      {AVERROR_INVALIDDATA, AVS_EFORMAT, "AVERROR_INVALIDDATA"},
      {AVERROR_DECODER_NOT_FOUND, AVS_EUNSUPPORTED, "AVERROR_DECODER_NOT_FOUND"},
      {AVERROR_DEMUXER_NOT_FOUND, AVS_EUNSUPPORTED, "AVERROR_DEMUXER_NOT_FOUND"},
      {AVERROR_ENCODER_NOT_FOUND, AVS_EUNSUPPORTED, "AVERROR_ENCODER_NOT_FOUND"},
      {AVERROR_PATCHWELCOME, AVS_EUNSUPPORTED, "AVERROR_PATCHWELCOME"},
      {AVERROR_STREAM_NOT_FOUND, AVS_ENOTFOUND, "AVERROR_STREAM_NOT_FOUND"},
      {AVERROR_OPTION_NOT_FOUND, AVS_EINVAL, "AVERROR_OPTION_NOT_FOUND"},
      {AVERROR_BUG, AVS_EBACKEND, "AVERROR_BUG"},
      {AVERROR_EXTERNAL, AVS_EBACKEND, "AVERROR_EXTERNAL"},
  };
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    tst_true(avs_ff_code(map[i].ff) == map[i].avs, "%s -> %s (got %s)", map[i].name, avs_strerror(map[i].avs),
             avs_strerror(avs_ff_code(map[i].ff)));
  /* A plain errno maps as FFmpeg's AVERROR(errno) does. */
  const int errnos[] = {ENOENT, ENOMEM, EINVAL, EACCES, ENOSPC, EIO, ENOSYS, EPERM};
  for (size_t i = 0; i < sizeof errnos / sizeof *errnos; i++)
    tst_true(avs_errno_code(errnos[i]) == avs_ff_code(AVERROR(errnos[i])), "errno %d maps as AVERROR(%d)", errnos[i],
             errnos[i]);

  int rc = avs_ff_seterr(AVERROR(ENOSPC), "/x/out.mp4", "cannot write the %s", "video");
  tst_true(rc == AVS_EIO && avs_errcode() == AVS_EIO && strstr(avs_errmsg(), "cannot write the video: ") &&
               strstr(avs_errmsg(), "(/x/out.mp4)"),
           "avs_ff_seterr: \"%s\"", avs_errmsg());
}

static void check_prefix(void) {
  avs_seterr(AVS_EFORMAT, "tensor 'w' is truncated");
  int rc = avs_errprefix(AVS_EFORMAT, "m.safetensors");
  tst_true(rc == AVS_EFORMAT && avs_errcode() == AVS_EFORMAT &&
               !strcmp(avs_errmsg(), "m.safetensors: tensor 'w' is truncated"),
           "avs_errprefix: \"%s\"", avs_errmsg());
  avs_clearerr();
  avs_errprefix(AVS_ENOMEM, "a.wav");
  tst_true(!strcmp(avs_errmsg(), "a.wav: out of memory"), "avs_errprefix without a message: \"%s\"", avs_errmsg());
  /* Long enough to fill the buffer: cut, never overrun. */
  char longpath[700];
  memset(longpath, 'p', sizeof longpath - 1);
  longpath[sizeof longpath - 1] = 0;
  avs_seterr(AVS_EIO, "short");
  avs_errprefix(AVS_EIO, longpath);
  tst_true(strlen(avs_errmsg()) < 512 && !strncmp(avs_errmsg(), longpath, 100), "a long prefix is cut (%zu chars)",
           strlen(avs_errmsg()));
}

/* One failure: the code, the same code in avs_errcode(), one line, the path in it. */
static void expect(const char *who, int rc, int want, const char *path) {
  const char *m = avs_errmsg();
  tst_true(rc == want && avs_errcode() == rc && !strchr(m, '\n') && strstr(m, path), "%s: %s -> %s: \"%s\"", who,
           path, avs_strerror(want), m);
}

/* The same path through all three openers. */
static void expect_all(const char *path, int want) {
  avs_track *t = NULL;
  expect("avs_track_open", avs_track_open(path, NULL, &t), want, path);
  tst_true(t == NULL, "no track left after a failure");
  avs_audio *a = NULL;
  expect("avs_audio_load", avs_audio_load(path, 16000, 1, &a), want, path);
  tst_true(a == NULL, "no audio left after a failure");
  avs_video *v = NULL;
  expect("avs_video_open", avs_video_open(path, NULL, &v), want, path);
  tst_true(v == NULL, "no video left after a failure");
}

/* Permissions do not stop root: check an unreadable file as nobody, in a child. */
static void check_unreadable(const char *path) {
  if (geteuid() != 0) {
    expect_all(path, AVS_EIO);
    return;
  }
  fflush(stdout);
  pid_t pid = fork();
  AVS_ASSERT(pid >= 0);
  if (pid == 0) {
    if (setgid(65534) || setuid(65534)) _exit(77);
    expect_all(path, AVS_EIO);
    int rc = tst_finish();
    fflush(stdout); /* _exit does not */
    _exit(rc);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  if (WIFEXITED(st) && WEXITSTATUS(st) == 77)
    printf("skip: cannot drop root to check an unreadable file\n");
  else
    tst_true(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unreadable file refused as nobody (status %d)", st);
}

int main(void) {
  check_codes();
  check_prefix();

  snprintf(dir, sizeof dir, "/tmp/avs_ff_XXXXXX");
  if (!mkdtemp(dir)) {
    perror("mkdtemp");
    return 1;
  }
  AVS_ASSERT(chmod(dir, 0755) == 0); /* the unreadable-file check runs as nobody */
  char missing[96], empty[96], words[96], locked[96];
  snprintf(missing, sizeof missing, "%s/missing.mp4", dir);
  snprintf(empty, sizeof empty, "%s/empty.mp4", dir);
  snprintf(words, sizeof words, "%s/words.mp4", dir);
  snprintf(locked, sizeof locked, "%s/locked.wav", dir);
  expect_all(missing, AVS_ENOTFOUND);
  expect_all(dir, AVS_EINVAL);
  write_file(empty, "", 0644);
  expect_all(empty, AVS_EFORMAT);
  write_file(words, "not media, just some words\n", 0644);
  expect_all(words, AVS_EFORMAT);
  write_file(locked, "RIFF", 0);
  check_unreadable(locked);

  unlink(empty);
  unlink(words);
  unlink(locked);
  rmdir(dir);
  return tst_finish();
}
