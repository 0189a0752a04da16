#include "data/generator/fluid.h"

#include <fluidsynth.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "av/status.h"

/* FluidSynth keeps state from one note to the next inside a synth (voice
 * slots are reused with some filter state, samples are measured lazily), so
 * the same melody renders slightly differently depending on what the synth
 * played before. For bit-exact stems each render gets a fresh synth (~1 ms)
 * that borrows the soundfont loaded once by `owner`. The soundfont is loaded
 * whole (dynamic sample loading made each fresh synth ~100x slower), which
 * also leaves it read-only during renders, so renders may run in parallel. */
struct avs_fluid {
  fluid_settings_t *settings;
  fluid_synth_t *owner;
  fluid_sfont_t *sfont;
  int sample_rate;
};

enum { BLOCK = 512 };

static void fluid_log_sink(int level, const char *message, void *data) {
  (void)data;
  (void)level; /* failures come back as our own error message; FluidSynth's text is detail */
  avs_log(AVS_LOG_DEBUG, "fluidsynth: %s", message);
}

static void route_logs(void) {
  for (int l = FLUID_PANIC; l <= FLUID_DBG; l++) fluid_set_log_function(l, fluid_log_sink, NULL);
}

int avs_fluid_new(avs_fluid **out, const char *soundfont, int sample_rate) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, route_logs);
  *out = NULL;
  struct stat sb;
  if (!soundfont || stat(soundfont, &sb) || !S_ISREG(sb.st_mode))
    return avs_seterr(AVS_ENOTFOUND, "soundfont not found: %s", soundfont ? soundfont : "(none)");
  /* SoundFont 2/3 files are RIFF "sfbk" forms; checking first keeps other files
   * away from FluidSynth's other loaders (libinstpatch prints on its own) */
  char head[12] = {0};
  FILE *fh = fopen(soundfont, "rb");
  if (!fh) return avs_seterr(AVS_EIO, "cannot read the soundfont %s", soundfont);
  size_t got = fread(head, 1, sizeof head, fh);
  fclose(fh);
  if (got != sizeof head || memcmp(head, "RIFF", 4) || memcmp(head + 8, "sfbk", 4))
    return avs_seterr(AVS_EFORMAT, "not a SoundFont (.sf2/.sf3) file: %s", soundfont);
  if (sample_rate < 8000 || sample_rate > 96000)
    return avs_seterr(AVS_EINVAL, "sample rate %d Hz outside FluidSynth's 8000..96000", sample_rate);
  avs_fluid *f = calloc(1, sizeof *f);
  if (!f) return avs_seterr(AVS_ENOMEM, "out of memory");
  f->sample_rate = sample_rate;
  f->settings = new_fluid_settings();
  if (!f->settings) {
    avs_seterr(AVS_ENOMEM, "out of memory");
    goto fail;
  }
  fluid_settings_setnum(f->settings, "synth.sample-rate", sample_rate);
  fluid_settings_setint(f->settings, "synth.reverb.active", 0);
  fluid_settings_setint(f->settings, "synth.chorus.active", 0);
  fluid_settings_setint(f->settings, "synth.cpu-cores", 1);
  fluid_settings_setint(f->settings, "synth.polyphony", 64);
  fluid_settings_setint(f->settings, "synth.midi-channels", 16);
  fluid_settings_setint(f->settings, "synth.dynamic-sample-loading", 0);
  f->owner = new_fluid_synth(f->settings);
  if (!f->owner) {
    avs_seterr(AVS_EBACKEND, "cannot create a FluidSynth synthesizer");
    goto fail;
  }
  int id = fluid_synth_sfload(f->owner, soundfont, 1);
  if (id == FLUID_FAILED) {
    avs_seterr(AVS_EFORMAT, "not a usable SoundFont (.sf2/.sf3): %s", soundfont);
    goto fail;
  }
  f->sfont = fluid_synth_get_sfont_by_id(f->owner, id);
  for (int i = 0; i < avs_instrument_count() && i < 16; i++) {
    const avs_instrument *ins = avs_instrument_get(i);
    if (fluid_synth_program_select(f->owner, i, id, 0, ins->program) == FLUID_FAILED) {
      avs_seterr(AVS_ENOTFOUND, "the soundfont %s has no preset for General MIDI program %d (%s)", soundfont,
                 ins->program + 1, ins->name);
      goto fail;
    }
  }
  *out = f;
  return AVS_OK;
fail:;
  int code = avs_errcode();
  avs_fluid_free(&f);
  return code;
}

void avs_fluid_free(avs_fluid **fp) {
  avs_fluid *f = *fp;
  if (!f) return;
  if (f->owner) delete_fluid_synth(f->owner);
  if (f->settings) delete_fluid_settings(f->settings);
  free(f);
  *fp = NULL;
}

typedef struct {
  int64_t at;
  int on; /* 1 note on, 0 note off */
  int pitch, velocity;
} event;

static int cmp_event(const void *a, const void *b) {
  const event *x = a, *y = b;
  if (x->at != y->at) return x->at < y->at ? -1 : 1;
  return x->on - y->on; /* offs before ons at the same sample */
}

static void render_span(fluid_synth_t *s, float *out, int64_t from, int64_t to) {
  float left[BLOCK], right[BLOCK];
  while (from < to) {
    int len = to - from > BLOCK ? BLOCK : (int)(to - from);
    fluid_synth_write_float(s, len, left, 0, 1, right, 0, 1);
    for (int i = 0; i < len; i++) out[from + i] = 0.5f * (left[i] + right[i]);
    from += len;
  }
}

int avs_fluid_render(avs_fluid *f, int program, const avs_melody *m, float *out, int64_t n) {
  event ev[2 * AVS_MELODY_MAX_NOTES];
  int ne = 0;
  fluid_synth_t *s = new_fluid_synth(f->settings);
  if (!s) return avs_seterr(AVS_EBACKEND, "cannot create a FluidSynth synthesizer");
  int status = AVS_OK;
  int id = fluid_synth_add_sfont(s, f->sfont);
  if (id == FLUID_FAILED || fluid_synth_program_select(s, 0, id, 0, program) == FLUID_FAILED) {
    status = avs_seterr(AVS_ENOTFOUND, "the soundfont has no preset for General MIDI program %d", program + 1);
    goto done;
  }
  for (int i = 0; i < m->n; i++) {
    const avs_note *nt = &m->note[i];
    ev[ne++] = (event){(int64_t)(nt->t_on * f->sample_rate), 1, nt->pitch, nt->velocity};
    ev[ne++] = (event){(int64_t)(nt->t_off * f->sample_rate), 0, nt->pitch, 0};
  }
  qsort(ev, (size_t)ne, sizeof *ev, cmp_event);
  int64_t pos = 0;
  for (int i = 0; i < ne && ev[i].at < n; i++) {
    if (ev[i].at > pos) {
      render_span(s, out, pos, ev[i].at);
      pos = ev[i].at;
    }
    if (ev[i].on)
      fluid_synth_noteon(s, 0, ev[i].pitch, ev[i].velocity);
    else
      fluid_synth_noteoff(s, 0, ev[i].pitch);
  }
  render_span(s, out, pos, n);
done:
  fluid_synth_remove_sfont(s, f->sfont);
  delete_fluid_synth(s);
  return status;
}
