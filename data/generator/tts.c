/* espeak-ng synthesis. espeak-ng keeps state from one utterance to the next
 * (waveform phase, and libc rand() for noise), so the same sentence comes out
 * differently each time; and it is one global engine. So a small server
 * process, forked once, loads espeak-ng and never speaks itself: for every
 * request it forks a child that starts from the server's pristine state,
 * seeds rand() from the text and voice, speaks, and sends the samples back.
 * Forking the small server (not the generator, whose frame buffers would be
 * copied on write) costs ~5 ms. Requests from several threads are serialized. */
#include <errno.h>
#include <espeak-ng/speak_lib.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "av/status.h"
#include "data/generator/speech.h"

typedef struct {
  char voice[64];
  int pitch, range, rate;
  int text_len; /* -1: only check the voice */
} request;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int to_server = -1, from_server = -1, espeak_rate;
static pid_t server_pid;
static char start_error[256];

static int write_all(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void *p, size_t n) {
  char *c = p;
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    c += r;
    n -= (size_t)r;
  }
  return 0;
}

/* ---- in the speaking child ---- */

static short *child_buf;
static int64_t child_n, child_cap;

static int child_callback(short *wav, int n, espeak_EVENT *ev) {
  (void)ev;
  if (wav && n > 0) {
    if (child_n + n > child_cap) {
      int64_t cap = (child_n + n) * 2;
      short *b = realloc(child_buf, (size_t)cap * sizeof(short));
      if (!b) return 1; /* abort synthesis */
      child_buf = b;
      child_cap = cap;
    }
    memcpy(child_buf + child_n, wav, (size_t)n * sizeof(short));
    child_n += n;
  }
  return 0;
}

static uint32_t hash_str(uint32_t h, const char *s) {
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 16777619u;
  return h;
}

/* Whether voice's variant ("en+m3": m3) is one of espeak-ng's: espeak_SetVoiceByName takes
 * "en+nosuch" as plain "en", so a misspelt variant would give another voice without a word. A
 * variant of digits is espeak-ng's shorthand for a male one ("+3": m3). */
static bool variant_exists(const char *voice) {
  const char *plus = strchr(voice, '+'), *data = NULL;
  if (!plus) return true;
  espeak_Info(&data);
  if (!data) return true; /* nowhere to look: espeak-ng decides */
  char path[512];
  snprintf(path, sizeof path, "%s/voices/!v/%s%s", data, plus[1] >= '0' && plus[1] <= '9' ? "m" : "", plus + 1);
  return plus[1] && !strchr(plus + 1, '/') && access(path, R_OK) == 0;
}

/* Answers with an int64 count (-1: unknown voice, -2: synthesis failed) and the samples. */
static void child_speak(int fd, const request *q, const char *text) {
  int64_t n = -1;
  if (!variant_exists(q->voice) || espeak_SetVoiceByName(q->voice) != EE_OK) goto out;
  n = 0;
  if (!text) goto out;
  n = -2;
  srand(hash_str(hash_str(2166136261u, q->voice), text));
  espeak_SetSynthCallback(child_callback);
  espeak_SetParameter(espeakRATE, q->rate, 0);
  espeak_SetParameter(espeakPITCH, q->pitch, 0);
  espeak_SetParameter(espeakRANGE, q->range, 0);
  if (espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, NULL, NULL) != EE_OK) goto out;
  if (espeak_Synchronize() != EE_OK) goto out;
  n = child_n;
out:
  if (write_all(fd, &n, sizeof n) == 0 && n > 0) write_all(fd, child_buf, (size_t)n * sizeof(short));
  _exit(0);
}

/* ---- the server ---- */

static void server(int in, int out) {
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  signal(SIGPIPE, SIG_DFL);
  int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT);
  if (write_all(out, &rate, sizeof rate) || rate <= 0) _exit(1);
  request q;
  char *text = NULL;
  while (read_all(in, &q, sizeof q) == 0) {
    free(text);
    text = NULL;
    if (q.text_len >= 0) {
      if (!(text = malloc((size_t)q.text_len + 1)) || read_all(in, text, (size_t)q.text_len)) _exit(1);
      text[q.text_len] = 0;
    }
    q.voice[sizeof q.voice - 1] = 0;
    pid_t pid = fork();
    if (pid == 0) child_speak(out, &q, text);
    if (pid < 0) {
      int64_t n = -2;
      write_all(out, &n, sizeof n);
      continue;
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
  }
  _exit(0);
}

static void stop_server(void) {
  if (to_server >= 0) close(to_server);
  if (server_pid > 0) waitpid(server_pid, NULL, 0);
}

static void start_server(void) {
  int req[2], resp[2];
  if (pipe(req) || pipe(resp)) {
    snprintf(start_error, sizeof start_error, "cannot create pipes for espeak-ng: %s", strerror(errno));
    return;
  }
  pid_t pid = fork();
  if (pid < 0) {
    snprintf(start_error, sizeof start_error, "cannot fork the espeak-ng server: %s", strerror(errno));
    return;
  }
  if (pid == 0) {
    close(req[1]);
    close(resp[0]);
    server(req[0], resp[1]);
  }
  close(req[0]);
  close(resp[1]);
  to_server = req[1];
  from_server = resp[0];
  server_pid = pid;
  if (read_all(from_server, &espeak_rate, sizeof espeak_rate) || espeak_rate <= 0) {
    snprintf(start_error, sizeof start_error, "cannot start espeak-ng (is espeak-ng-data installed?)");
    espeak_rate = 0;
    return;
  }
  atexit(stop_server);
}

int avs_tts_init(void) {
  signal(SIGPIPE, SIG_IGN); /* a dead server shows as a failed write, not a killed generator */
  pthread_once(&once, start_server);
  if (espeak_rate <= 0) return avs_seterr(AVS_EBACKEND, "%s", start_error[0] ? start_error : "espeak-ng failed");
  return AVS_OK;
}

/* One request: *pcm (malloc'ed) gets *n samples at espeak_rate. */
static int ask(const avs_speaker *s, const char *voice, const char *text, short **pcm, int64_t *n) {
  *pcm = NULL;
  *n = 0;
  request q;
  memset(&q, 0, sizeof q);
  snprintf(q.voice, sizeof q.voice, "%s", voice);
  q.pitch = s->pitch, q.range = s->range, q.rate = s->rate;
  q.text_len = text ? (int)strlen(text) : -1;
  int rc = AVS_OK;
  int64_t count;
  pthread_mutex_lock(&lock);
  if (write_all(to_server, &q, sizeof q) || (text && write_all(to_server, text, (size_t)q.text_len)) ||
      read_all(from_server, &count, sizeof count)) {
    rc = avs_seterr(AVS_EBACKEND, "the espeak-ng server stopped (voice %s)", voice);
  } else if (count == -1) {
    rc = avs_seterr(AVS_ENOTFOUND, "espeak-ng has no voice '%s'", voice);
  } else if (count < 0) {
    rc = avs_seterr(AVS_EBACKEND, "espeak-ng failed to speak '%s' (voice %s)", text ? text : "", voice);
  } else if (count > 0) {
    short *b = malloc((size_t)count * sizeof(short));
    if (!b || read_all(from_server, b, (size_t)count * sizeof(short))) {
      free(b);
      rc = avs_seterr(AVS_EBACKEND, "espeak-ng output cut short (voice %s)", voice);
    } else {
      *pcm = b;
      *n = count;
    }
  }
  pthread_mutex_unlock(&lock);
  return rc;
}

int avs_tts_check_voice(const char *voice) {
  int rc = avs_tts_init();
  if (rc) return rc;
  avs_speaker s = {.pitch = 50, .range = 50, .rate = 170};
  short *pcm;
  int64_t n;
  return ask(&s, voice, NULL, &pcm, &n);
}

int avs_tts_say(const avs_speaker *s, const char *text, int out_rate, float **audio, int64_t *n) {
  *audio = NULL;
  *n = 0;
  int rc = avs_tts_init();
  if (rc) return rc;
  short *pcm;
  int64_t np;
  if ((rc = ask(s, s->voice, text, &pcm, &np))) return rc;
  if (np == 0) return avs_seterr(AVS_EBACKEND, "espeak-ng said nothing for '%s' (voice %s)", text, s->voice);
  float *x = malloc((size_t)np * sizeof(float));
  if (!x) {
    free(pcm);
    return avs_seterr(AVS_ENOMEM, "out of memory");
  }
  for (int64_t i = 0; i < np; i++) x[i] = pcm[i] / 32768.0f;
  free(pcm);
  if (out_rate == espeak_rate) {
    *audio = x;
    *n = np;
    return AVS_OK;
  }
  rc = avs_resample(x, np, espeak_rate, out_rate, audio, n);
  free(x);
  return rc;
}
