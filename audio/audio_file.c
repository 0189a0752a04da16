#include "audio/audio_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sndfile.h>

#include "av/status.h"

avs_audio *avs_audio_new(int64_t frames, int channels, int rate) {
  if (frames < 0 || channels < 1 || channels > AVS_AUDIO_MAX_CHANNELS || frames > INT64_MAX / 4 / channels) {
    avs_seterr(AVS_EINVAL, "bad audio buffer size: %lld frames of %d channels", (long long)frames, channels);
    return NULL;
  }
  avs_audio *a = calloc(1, sizeof *a);
  if (!a) goto fail;
  size_t n = (size_t)frames * (size_t)channels;
  a->data = calloc(n ? n : 1, sizeof(float));
  if (!a->data) goto fail;
  a->frames = frames;
  a->channels = channels;
  a->rate = rate;
  return a;
fail:
  free(a);
  avs_seterr(AVS_ENOMEM, "out of memory for %lld audio frames", (long long)frames);
  return NULL;
}

void avs_audio_free(avs_audio **a) {
  if (!a || !*a) return;
  free((*a)->data);
  free(*a);
  *a = NULL;
}

avs_audio *avs_audio_slice(const avs_audio *a, int64_t start, int64_t frames) {
  if (start < 0) start = 0;
  if (start > a->frames) start = a->frames;
  if (frames < 0 || start + frames > a->frames) frames = a->frames - start;
  avs_audio *s = avs_audio_new(frames, a->channels, a->rate);
  if (s && frames) memcpy(s->data, a->data + start * a->channels, (size_t)(frames * a->channels) * sizeof(float));
  return s;
}

int64_t avs_audio_find_nonfinite(const float *x, int64_t n) {
  /* Branch-free scan in blocks (vectorizes), exact position found afterwards. */
  const int64_t B = 4096;
  for (int64_t i0 = 0; i0 < n; i0 += B) {
    int64_t i1 = i0 + B < n ? i0 + B : n;
    int bad = 0;
    for (int64_t i = i0; i < i1; i++) bad |= !isfinite(x[i]);
    if (bad)
      for (int64_t i = i0; i < i1; i++)
        if (!isfinite(x[i])) return i;
  }
  return -1;
}

int avs_audio_check(const avs_audio *a, const char *what) {
  if (!what) what = "audio";
  if (!a || !a->data) return avs_seterr(AVS_EINVAL, "no audio (%s)", what);
  if (a->frames <= 0) return avs_seterr(AVS_EFORMAT, "audio has no samples (%s)", what);
  if (a->channels < 1 || a->channels > AVS_AUDIO_MAX_CHANNELS)
    return avs_seterr(AVS_EFORMAT, "unsupported channel count %d (%s)", a->channels, what);
  if (a->rate < AVS_AUDIO_RATE_MIN || a->rate > AVS_AUDIO_RATE_MAX)
    return avs_seterr(AVS_EFORMAT, "sample rate %d Hz is outside %d..%d Hz (%s)", a->rate, AVS_AUDIO_RATE_MIN,
                      AVS_AUDIO_RATE_MAX, what);
  int64_t bad = avs_audio_find_nonfinite(a->data, a->frames * a->channels);
  if (bad >= 0)
    return avs_seterr(AVS_EFORMAT, "%s sample at %.3f s, channel %d (%s)",
                      isnan(a->data[bad]) ? "NaN" : "infinite", (double)(bad / a->channels) / a->rate,
                      (int)(bad % a->channels) + 1, what);
  return AVS_OK;
}

static uint32_t rd32(const unsigned char *b, bool be) {
  return be ? (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]
            : (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}
static unsigned rd16(const unsigned char *b, bool be) { return be ? (unsigned)b[0] << 8 | b[1] : (unsigned)b[1] << 8 | b[0]; }

/* libsndfile reads a WAV whose fmt chunk claims, say, 7 bits per sample as
 * 8-bit data: refuse sample sizes the format does not define for PCM (8, 16,
 * 24, 32) and IEEE float (32, 64). Other files, other codecs: not ours to judge. */
static int check_wav_bits(FILE *f, const char *path) {
  unsigned char h[12], c[8], fmt[16];
  if (fread(h, 1, 12, f) != 12 || memcmp(h + 8, "WAVE", 4)) return AVS_OK;
  bool be = !memcmp(h, "RIFX", 4);
  if (!be && memcmp(h, "RIFF", 4) && memcmp(h, "RF64", 4)) return AVS_OK;
  for (int k = 0; k < 64 && fread(c, 1, 8, f) == 8; k++) { /* the fmt chunk comes first in practice */
    uint32_t size = rd32(c + 4, be);
    if (memcmp(c, "fmt ", 4)) {
      if (fseek(f, (long)size + (size & 1), SEEK_CUR)) return AVS_OK;
      continue;
    }
    if (size < 16 || fread(fmt, 1, 16, f) != 16) return AVS_OK; /* libsndfile reports a short fmt chunk */
    unsigned tag = rd16(fmt, be), bits = rd16(fmt + 14, be);
    bool pcm = tag == 1 || tag == 0xFFFE, flt = tag == 3;
    if ((pcm && bits != 8 && bits != 16 && bits != 24 && bits != 32) || (flt && bits != 32 && bits != 64))
      return avs_seterr(AVS_EFORMAT, "WAV header claims %u bits per %s sample (%s are defined) (%s)", bits,
                        pcm ? "PCM" : "float", pcm ? "8, 16, 24 and 32" : "32 and 64", path);
    return AVS_OK;
  }
  return AVS_OK;
}

/* MPEG audio (an ID3 tag, a frame sync word or an .mp3/.mp2 name) goes to FFmpeg:
 * libsndfile's reader (libmpg123) prints its own notes on stderr and stops at the
 * first damaged frame, where FFmpeg skips it and goes on. */
static bool is_mpeg_audio(FILE *f, const char *path) {
  const char *dot = strrchr(path, '.');
  if (dot && (!strcasecmp(dot, ".mp3") || !strcasecmp(dot, ".mp2"))) return true;
  unsigned char h[3];
  if (fread(h, 1, 3, f) != 3) return false;
  rewind(f);
  return !memcmp(h, "ID3", 3) || (h[0] == 0xFF && (h[1] & 0xE0) == 0xE0);
}

int avs_audio_read(const char *path, avs_audio **out) {
  *out = NULL;
  SF_INFO info;
  memset(&info, 0, sizeof info);
  avs_audio *a = NULL;
  int rc = AVS_OK;
  FILE *probe = fopen(path, "rb");
  if (!probe) return avs_seterr(avs_errno_code(errno), "cannot open audio file: %s (%s)", strerror(errno), path);
  if (is_mpeg_audio(probe, path)) {
    fclose(probe);
    return avs_seterr(AVS_EUNSUPPORTED, "MPEG audio is read through FFmpeg (%s)", path);
  }
  rc = check_wav_bits(probe, path);
  fclose(probe);
  if (rc) return rc;
  SNDFILE *sf = sf_open(path, SFM_READ, &info);
  if (!sf) {
    int e = sf_error(NULL);
    const char *why = sf_strerror(NULL);
    if (e == SF_ERR_UNRECOGNISED_FORMAT)
      return avs_seterr(AVS_EUNSUPPORTED, "not an audio file libsndfile can read (%s)", path);
    return avs_seterr(AVS_EFORMAT, "cannot read audio file: %s (%s)", why && *why ? why : "malformed file", path);
  }
  if (info.channels < 1 || info.channels > AVS_AUDIO_MAX_CHANNELS) {
    rc = avs_seterr(AVS_EFORMAT, "unsupported channel count %d (%s)", info.channels, path);
    goto fail;
  }
  if (info.samplerate < AVS_AUDIO_RATE_MIN || info.samplerate > AVS_AUDIO_RATE_MAX) {
    rc = avs_seterr(AVS_EFORMAT, "sample rate %d Hz is outside %d..%d Hz (%s)", info.samplerate, AVS_AUDIO_RATE_MIN,
                    AVS_AUDIO_RATE_MAX, path);
    goto fail;
  }
  /* the header's frame count sizes the buffer, within reason (it may lie or be
   * unknown): reading goes on to the end of the data */
  int64_t cap = info.frames > 0 && info.frames < ((int64_t)1 << 26) ? info.frames + 1 : 65536;
  a = avs_audio_new(cap, info.channels, info.samplerate);
  if (!a) {
    rc = avs_errcode();
    goto fail;
  }
  int64_t n = 0;
  for (;;) {
    if (n == cap) {
      int64_t ncap = cap * 2;
      float *d = realloc(a->data, (size_t)(ncap * info.channels) * sizeof(float));
      if (!d) {
        rc = avs_seterr(AVS_ENOMEM, "out of memory reading %s", path);
        goto fail;
      }
      a->data = d;
      cap = ncap;
    }
    sf_count_t got = sf_readf_float(sf, a->data + n * info.channels, cap - n);
    if (got < 0 || (got == 0 && sf_error(sf) != SF_ERR_NO_ERROR)) {
      rc = avs_seterr(AVS_EFORMAT, "cannot decode audio file: %s (%s)", sf_strerror(sf), path);
      goto fail;
    }
    if (got == 0) break;
    n += got;
  }
  a->frames = n;
  if (n == 0) {
    rc = avs_seterr(AVS_EFORMAT, "audio file has no samples (%s)", path);
    goto fail;
  }
  rc = avs_audio_check(a, path);
  if (rc) goto fail;
  sf_close(sf);
  *out = a;
  return AVS_OK;
fail:
  sf_close(sf);
  avs_audio_free(&a);
  return rc;
}

static int major_for(const char *path, avs_sample_format fmt, int *format) {
  const char *dot = strrchr(path, '.');
  const char *slash = strrchr(path, '/');
  if (!dot || (slash && dot < slash))
    return avs_seterr(AVS_EUNSUPPORTED, "cannot tell the audio format without an extension (%s)", path);
  const char *ext = dot + 1;
  int major, sub;
  int pcm = fmt == AVS_SAMPLE_PCM16 ? SF_FORMAT_PCM_16 : fmt == AVS_SAMPLE_PCM24 ? SF_FORMAT_PCM_24 : SF_FORMAT_FLOAT;
  if (!strcasecmp(ext, "wav")) major = SF_FORMAT_WAV, sub = pcm;
  else if (!strcasecmp(ext, "aiff") || !strcasecmp(ext, "aif")) major = SF_FORMAT_AIFF, sub = pcm;
  else if (!strcasecmp(ext, "caf")) major = SF_FORMAT_CAF, sub = pcm;
  else if (!strcasecmp(ext, "au")) major = SF_FORMAT_AU, sub = pcm;
  else if (!strcasecmp(ext, "flac")) {
    if (fmt == AVS_SAMPLE_FLOAT) return avs_seterr(AVS_EUNSUPPORTED, "FLAC cannot hold float samples (%s)", path);
    major = SF_FORMAT_FLAC, sub = fmt == AVS_SAMPLE_PCM16 ? SF_FORMAT_PCM_16 : SF_FORMAT_PCM_24;
  } else if (!strcasecmp(ext, "ogg") || !strcasecmp(ext, "oga")) {
    if (fmt != AVS_SAMPLE_DEFAULT) return avs_seterr(AVS_EUNSUPPORTED, "OGG files hold Vorbis only (%s)", path);
    major = SF_FORMAT_OGG, sub = SF_FORMAT_VORBIS;
  } else
    return avs_seterr(AVS_EUNSUPPORTED, "unsupported audio file extension '.%s' (%s)", ext, path);
  *format = major | sub;
  return AVS_OK;
}

int avs_audio_write(const char *path, const avs_audio *a, avs_sample_format fmt) {
  int rc = avs_audio_check(a, path);
  if (rc) return rc;
  SF_INFO info = {.samplerate = a->rate, .channels = a->channels};
  rc = major_for(path, fmt, &info.format);
  if (rc) return rc;
  if (!sf_format_check(&info))
    return avs_seterr(AVS_EUNSUPPORTED, "libsndfile cannot write %d channels at %d Hz in this format (%s)",
                      a->channels, a->rate, path);
  SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
  if (!sf) return avs_seterr(AVS_EIO, "cannot create audio file: %s (%s)", sf_strerror(NULL), path);
  sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
  /* a float WAV's PEAK chunk carries the time of writing: without it the same samples give the same file */
  sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
  if ((info.format & SF_FORMAT_SUBMASK) == SF_FORMAT_VORBIS) {
    double q = 0.9; /* near-transparent */
    sf_command(sf, SFC_SET_VBR_ENCODING_QUALITY, &q, sizeof q);
  }
  int64_t done = 0;
  while (done < a->frames) {
    sf_count_t chunk = a->frames - done > 65536 ? 65536 : (sf_count_t)(a->frames - done);
    sf_count_t w = sf_writef_float(sf, a->data + done * a->channels, chunk);
    if (w != chunk) {
      rc = avs_seterr(AVS_EIO, "cannot write audio file: %s (%s)", sf_strerror(sf), path);
      sf_close(sf);
      remove(path);
      return rc;
    }
    done += w;
  }
  if (sf_close(sf)) {
    remove(path);
    return avs_seterr(AVS_EIO, "cannot finish audio file (%s)", path);
  }
  return AVS_OK;
}

int avs_audio_downmix(const avs_audio *in, avs_audio **out) {
  *out = NULL;
  avs_audio *m = avs_audio_new(in->frames, 1, in->rate);
  if (!m) return avs_errcode();
  const int c = in->channels;
  if (c == 1) {
    memcpy(m->data, in->data, (size_t)in->frames * sizeof(float));
  } else {
    const float s = 1.0f / (float)c;
    for (int64_t i = 0; i < in->frames; i++) {
      const float *f = in->data + i * c;
      float acc = 0;
      for (int k = 0; k < c; k++) acc += f[k];
      m->data[i] = acc * s;
    }
  }
  *out = m;
  return AVS_OK;
}
