/* PortAudio boundary of audio/. */
#include "audio/stream.h"

#include <ctype.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <portaudio.h>
#ifdef AVS_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif

#include "audio/audio_file.h"
#include "av/status.h"

/* ---- lock-free single-producer single-consumer ring of frames ------------ */

typedef struct {
  float *data;
  int64_t cap;      /* frames, a power of two */
  int channels;
  _Atomic int64_t w, r; /* frames written / read since the start */
} ring;

static int ring_init(ring *q, int64_t frames, int channels) {
  int64_t cap = 1024;
  while (cap < frames) cap *= 2;
  q->data = calloc((size_t)(cap * channels), sizeof(float));
  if (!q->data) return avs_seterr(AVS_ENOMEM, "out of memory for an audio ring of %lld frames", (long long)cap);
  q->cap = cap;
  q->channels = channels;
  atomic_init(&q->w, 0);
  atomic_init(&q->r, 0);
  return AVS_OK;
}

static int64_t ring_used(const ring *q) {
  return atomic_load_explicit(&((ring *)q)->w, memory_order_acquire) -
         atomic_load_explicit(&((ring *)q)->r, memory_order_acquire);
}

/* Producer side. */
static int64_t ring_put(ring *q, const float *src, int64_t n) {
  int64_t w = atomic_load_explicit(&q->w, memory_order_relaxed);
  int64_t r = atomic_load_explicit(&q->r, memory_order_acquire);
  int64_t room = q->cap - (w - r);
  if (n > room) n = room;
  int64_t at = w & (q->cap - 1), first = q->cap - at < n ? q->cap - at : n;
  const size_t c = (size_t)q->channels;
  if (src) {
    memcpy(q->data + at * (int64_t)c, src, sizeof(float) * c * (size_t)first);
    if (n > first) memcpy(q->data, src + first * (int64_t)c, sizeof(float) * c * (size_t)(n - first));
  }
  atomic_store_explicit(&q->w, w + n, memory_order_release);
  return n;
}

/* Consumer side. */
static int64_t ring_get(ring *q, float *dst, int64_t n) {
  int64_t r = atomic_load_explicit(&q->r, memory_order_relaxed);
  int64_t w = atomic_load_explicit(&q->w, memory_order_acquire);
  if (n > w - r) n = w - r;
  int64_t at = r & (q->cap - 1), first = q->cap - at < n ? q->cap - at : n;
  const size_t c = (size_t)q->channels;
  memcpy(dst, q->data + at * (int64_t)c, sizeof(float) * c * (size_t)first);
  if (n > first) memcpy(dst + first * (int64_t)c, q->data, sizeof(float) * c * (size_t)(n - first));
  atomic_store_explicit(&q->r, r + n, memory_order_release);
  return n;
}

/* ---- PortAudio set-up ---------------------------------------------------- */

struct avs_stream {
  PaStream *pa;
  avs_stream_cfg cfg;
  ring in, out;
  char in_name[256], out_name[256];
  _Atomic int64_t captured, played, overruns, underruns, in_over, out_under, callbacks;
  _Atomic int primed; /* playback has been written to */
  bool started, pa_init;
};

#ifdef AVS_HAVE_ALSA
static void alsa_quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {
  (void)file, (void)line, (void)function, (void)err, (void)fmt;
}
#endif

static pthread_mutex_t pa_lock = PTHREAD_MUTEX_INITIALIZER;

/* Debian's PortAudio probes JACK, whose client library prints "Cannot connect
 * to server socket" and friends on stderr when no JACK server runs. Its
 * message hooks are set through dlsym (libjack is already loaded by PortAudio;
 * nothing to link). */
static void jack_quiet(const char *msg) { avs_log(AVS_LOG_DEBUG, "jack: %s", msg); }

static void silence_jack(void) {
  void *h = dlopen("libjack.so.0", RTLD_LAZY | RTLD_NOLOAD);
  if (!h) return;
  typedef void (*set_fn)(void (*)(const char *));
  set_fn e = (set_fn)dlsym(h, "jack_set_error_function"), i = (set_fn)dlsym(h, "jack_set_info_function");
  if (e) e(jack_quiet);
  if (i) i(jack_quiet);
  dlclose(h);
}

static int pa_err(PaError e, const char *what) {
  const char *msg = Pa_GetErrorText(e);
  if (e == paUnanticipatedHostError) {
    const PaHostErrorInfo *h = Pa_GetLastHostErrorInfo();
    if (h && h->errorText && *h->errorText) msg = h->errorText;
  }
  return avs_seterr(AVS_EBACKEND, "%s: %s", what, msg);
}

static int pa_up(void) {
  pthread_mutex_lock(&pa_lock);
#ifdef AVS_HAVE_ALSA
  snd_lib_error_set_handler(alsa_quiet); /* ALSA prints probe failures on stderr otherwise */
#endif
  setenv("JACK_NO_START_SERVER", "1", 0); /* never spawn jackd while probing */
  silence_jack();
  PaError e = Pa_Initialize();
  pthread_mutex_unlock(&pa_lock);
  if (e != paNoError) return pa_err(e, "cannot initialise PortAudio");
  return AVS_OK;
}

static void pa_down(void) {
  pthread_mutex_lock(&pa_lock);
  Pa_Terminate();
  pthread_mutex_unlock(&pa_lock);
}

static bool name_has(const char *name, const char *want) {
  size_t n = strlen(want);
  for (const char *p = name; *p; p++) {
    size_t i = 0;
    while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)want[i])) i++;
    if (i == n) return true;
  }
  return false;
}

static PaDeviceIndex find_device(const char *want, bool input, int channels) {
  int n = Pa_GetDeviceCount();
  if (!want || !*want) return input ? Pa_GetDefaultInputDevice() : Pa_GetDefaultOutputDevice();
  if (want[0] == '#') {
    char *end;
    long i = strtol(want + 1, &end, 10);
    if (*end || i < 0 || i >= n) return paNoDevice;
    return (PaDeviceIndex)i;
  }
  /* exact name first, then substring */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n; i++) {
      const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
      if (!d || (input ? d->maxInputChannels : d->maxOutputChannels) < channels) continue;
      if (pass == 0 ? !strcasecmp(d->name, want) : name_has(d->name, want)) return i;
    }
  return paNoDevice;
}

static int callback(const void *input, void *output, unsigned long frames, const PaStreamCallbackTimeInfo *ti,
                    PaStreamCallbackFlags flags, void *user) {
  (void)ti;
  avs_stream *s = user;
  atomic_fetch_add_explicit(&s->callbacks, 1, memory_order_relaxed);
  if (flags & paInputOverflow) atomic_fetch_add_explicit(&s->in_over, 1, memory_order_relaxed);
  if (flags & paOutputUnderflow) atomic_fetch_add_explicit(&s->out_under, 1, memory_order_relaxed);
  if (input && s->cfg.in_channels) {
    int64_t put = ring_put(&s->in, input, (int64_t)frames);
    atomic_fetch_add_explicit(&s->captured, put, memory_order_relaxed);
    if (put < (int64_t)frames) atomic_fetch_add_explicit(&s->overruns, (int64_t)frames - put, memory_order_relaxed);
  }
  if (output && s->cfg.out_channels) {
    float *o = output;
    int64_t got = ring_get(&s->out, o, (int64_t)frames);
    atomic_fetch_add_explicit(&s->played, got, memory_order_relaxed);
    if (got < (int64_t)frames) {
      memset(o + got * s->cfg.out_channels, 0, sizeof(float) * (size_t)(((int64_t)frames - got) * s->cfg.out_channels));
      if (atomic_load_explicit(&s->primed, memory_order_relaxed))
        atomic_fetch_add_explicit(&s->underruns, (int64_t)frames - got, memory_order_relaxed);
    }
  }
  return paContinue;
}

/* Capture (input) or playback parameters on the configured device: its name
 * into name, or AVS_ENOTFOUND naming what was looked for. */
static int side_params(const avs_stream_cfg *c, bool input, int channels, char *name, size_t name_size,
                       PaStreamParameters *p) {
  PaDeviceIndex d = find_device(c->device, input, channels);
  if (d == paNoDevice)
    return avs_seterr(AVS_ENOTFOUND, "no %s device %s%s%s with %d channels", input ? "capture" : "playback",
                      c->device ? "matching '" : "", c->device ? c->device : "", c->device ? "'" : "", channels);
  const PaDeviceInfo *di = Pa_GetDeviceInfo(d);
  snprintf(name, name_size, "%s", di->name);
  double latency = input ? di->defaultLowInputLatency : di->defaultLowOutputLatency;
  *p = (PaStreamParameters){.device = d, .channelCount = channels, .sampleFormat = paFloat32,
                            .suggestedLatency = c->latency > 0 ? c->latency : latency};
  return AVS_OK;
}

int avs_stream_open(const avs_stream_cfg *cfg, avs_stream **out) {
  *out = NULL;
  avs_stream_cfg c = *cfg;
  if (c.rate < AVS_AUDIO_RATE_MIN || c.rate > AVS_AUDIO_RATE_MAX)
    return avs_seterr(AVS_EINVAL, "stream sample rate %d Hz is outside %d..%d Hz", c.rate, AVS_AUDIO_RATE_MIN,
                      AVS_AUDIO_RATE_MAX);
  if (c.in_channels < 0 || c.out_channels < 0 || c.in_channels > 64 || c.out_channels > 64 ||
      (c.in_channels == 0 && c.out_channels == 0))
    return avs_seterr(AVS_EINVAL, "stream needs 1..64 capture and/or playback channels (got %d in, %d out)",
                      c.in_channels, c.out_channels);
  if (c.ring_seconds <= 0) c.ring_seconds = 2.0;
  if (c.frames_per_buffer < 0 || !isfinite(c.ring_seconds) || c.ring_seconds > 3600 || c.latency < 0)
    return avs_seterr(AVS_EINVAL, "bad stream buffer settings");
  avs_stream *s = calloc(1, sizeof *s);
  if (!s) return avs_seterr(AVS_ENOMEM, "out of memory");
  s->cfg = c;
  int rc = AVS_OK;
  int64_t ring_frames = (int64_t)ceil(c.ring_seconds * c.rate);
  if (c.in_channels && (rc = ring_init(&s->in, ring_frames, c.in_channels))) goto fail;
  if (c.out_channels && (rc = ring_init(&s->out, ring_frames, c.out_channels))) goto fail;
  if ((rc = pa_up())) goto fail;
  s->pa_init = true;

  PaStreamParameters ip, op;
  if (c.in_channels && (rc = side_params(&c, true, c.in_channels, s->in_name, sizeof s->in_name, &ip))) goto fail;
  if (c.out_channels && (rc = side_params(&c, false, c.out_channels, s->out_name, sizeof s->out_name, &op)))
    goto fail;
  PaStreamParameters *ipp = c.in_channels ? &ip : NULL, *opp = c.out_channels ? &op : NULL;
  PaError e = Pa_OpenStream(&s->pa, ipp, opp, c.rate,
                            c.frames_per_buffer ? (unsigned long)c.frames_per_buffer : paFramesPerBufferUnspecified,
                            paNoFlag, callback, s);
  if (e != paNoError) {
    char what[600];
    snprintf(what, sizeof what, "cannot open the audio stream (%s%s%s, %d Hz)", s->in_name,
             *s->in_name && *s->out_name ? " / " : "", s->out_name, c.rate);
    rc = pa_err(e, what);
    s->pa = NULL;
    goto fail;
  }
  *out = s;
  return AVS_OK;
fail:
  avs_stream_free(&s);
  return rc;
}

int avs_stream_start(avs_stream *s) {
  if (s->started) return AVS_OK;
  PaError e = Pa_StartStream(s->pa);
  if (e != paNoError) return pa_err(e, "cannot start the audio stream");
  s->started = true;
  return AVS_OK;
}

int avs_stream_stop(avs_stream *s) {
  if (!s->started) return AVS_OK;
  s->started = false;
  PaError e = Pa_StopStream(s->pa);
  if (e != paNoError) return pa_err(e, "cannot stop the audio stream");
  return AVS_OK;
}

void avs_stream_free(avs_stream **sp) {
  if (!sp || !*sp) return;
  avs_stream *s = *sp;
  if (s->pa) {
    if (s->started) Pa_AbortStream(s->pa);
    Pa_CloseStream(s->pa);
  }
  if (s->pa_init) pa_down();
  free(s->in.data);
  free(s->out.data);
  free(s);
  *sp = NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void nap(const avs_stream *s) {
  /* about a quarter of a callback period, at least 0.5 ms, at most 5 ms */
  double per = s->cfg.frames_per_buffer ? (double)s->cfg.frames_per_buffer / s->cfg.rate : 0.01;
  double d = per / 4;
  if (d < 0.0005) d = 0.0005;
  if (d > 0.005) d = 0.005;
  struct timespec ts = {0, (long)(d * 1e9)};
  nanosleep(&ts, NULL);
}

int64_t avs_stream_read(avs_stream *s, float *buf, int64_t frames, double timeout_s) {
  if (!s->cfg.in_channels) return avs_seterr(AVS_EINVAL, "the stream has no capture side");
  int64_t done = 0;
  double t_end = now_s() + (timeout_s > 0 ? timeout_s : 0);
  for (;;) {
    done += ring_get(&s->in, buf + done * s->cfg.in_channels, frames - done);
    if (done >= frames || now_s() >= t_end) break;
    if (!s->started || Pa_IsStreamActive(s->pa) != 1) break;
    nap(s);
  }
  return done;
}

int64_t avs_stream_write(avs_stream *s, const float *buf, int64_t frames, double timeout_s) {
  if (!s->cfg.out_channels) return avs_seterr(AVS_EINVAL, "the stream has no playback side");
  int64_t done = 0;
  double t_end = now_s() + (timeout_s > 0 ? timeout_s : 0);
  for (;;) {
    done += ring_put(&s->out, buf + done * s->cfg.out_channels, frames - done);
    if (done > 0) atomic_store_explicit(&s->primed, 1, memory_order_relaxed);
    if (done >= frames || now_s() >= t_end) break;
    if (!s->started || Pa_IsStreamActive(s->pa) != 1) break;
    nap(s);
  }
  return done;
}

int64_t avs_stream_read_available(const avs_stream *s) { return s->cfg.in_channels ? ring_used(&s->in) : 0; }
int64_t avs_stream_write_available(const avs_stream *s) {
  return s->cfg.out_channels ? s->out.cap - ring_used(&s->out) : 0;
}

int avs_stream_drain(avs_stream *s, double timeout_s) {
  if (!s->cfg.out_channels) return AVS_OK;
  double t_end = now_s() + timeout_s;
  while (ring_used(&s->out) > 0) {
    if (now_s() >= t_end) return avs_seterr(AVS_EIO, "playback did not drain in %.1f s", timeout_s);
    if (!s->started || Pa_IsStreamActive(s->pa) != 1)
      return avs_seterr(AVS_EIO, "the audio stream stopped with playback queued");
    nap(s);
  }
  return AVS_OK;
}

void avs_stream_get_stats(const avs_stream *s, avs_stream_stats *st) {
  avs_stream *m = (avs_stream *)s;
  st->captured = atomic_load(&m->captured);
  st->played = atomic_load(&m->played);
  st->overruns = atomic_load(&m->overruns);
  st->underruns = atomic_load(&m->underruns);
  st->input_overflows = atomic_load(&m->in_over);
  st->output_underflows = atomic_load(&m->out_under);
  st->callbacks = atomic_load(&m->callbacks);
}

int avs_stream_rate(const avs_stream *s) { return s->cfg.rate; }
const char *avs_stream_input_name(const avs_stream *s) { return s->in_name; }
const char *avs_stream_output_name(const avs_stream *s) { return s->out_name; }

int avs_stream_list_devices(char *buf, size_t size) {
  int rc = pa_up();
  if (rc) return rc;
  size_t used = 0;
  if (size) buf[0] = 0;
  int n = Pa_GetDeviceCount();
  for (int i = 0; i < n; i++) {
    const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
    if (!d) continue;
    int w = snprintf(buf + used, used < size ? size - used : 0, "#%d %s (in %d, out %d, rate %.0f)\n", i, d->name,
                     d->maxInputChannels, d->maxOutputChannels, d->defaultSampleRate);
    if (w > 0) used += (size_t)w;
    if (used >= size) break;
  }
  pa_down();
  return AVS_OK;
}
