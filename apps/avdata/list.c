/* avdata list: a kind's classes, one per line (speech: the speaker pool). */
#include <stdio.h>

#include "apps/avdata/avdata.h"
#include "apps/common/cli.h"
#include "av/status.h"
#include "data/generator/avdata.h"
#include "data/generator/instruments.h"

static const char *usage =
    "Usage: avdata list KIND\n"
    "Prints KIND's classes one per line: index, name (music: GM program and pitch range;\n"
    "speech: the speaker pool's espeak-ng voices; actions: the motions).";

static const char *voices;
static int speakers, timbres;

static const app_opt opts[] = {
    {"voice", 0, APP_STRING, &voices, "speech: comma-separated espeak-ng voices", 0, 0},
    {"speakers", 0, APP_INT, &speakers, "speech: size of the speaker pool, 0 for 24", 0, 1000},
    {"timbres", 0, APP_INT, &timbres, "speech: how many of the built-in espeak-ng variants the pool cycles through, 0 for 24 (at most 66; not with --voice)", 0, AVS_DATA_TIMBRES_MAX},
    {0},
};

int avdata_list(int argc, char **argv) {
  const char *pos[1];
  app_parse(argc, argv, 2, opts, usage, pos, 1, 1);
  avs_data_kind kind;
  if (avs_data_kind_parse(pos[0], &kind)) app_usage_error("%s", avs_errmsg());
  if (kind == AVS_DATA_SPEECH) {
    avs_data_config cfg;
    avs_data_config_default(&cfg, kind);
    cfg.voices = voices;
    if (timbres && voices) app_usage_error("--timbres picks from the built-in voices; --voice replaces them");
    if (speakers) cfg.speakers = speakers;
    if (timbres) cfg.timbres = timbres;
    avs_data_gen *g;
    int rc = avs_data_gen_new(&cfg, &g);
    if (rc) app_fail_status(rc);
    for (int i = 0; i < cfg.speakers; i++) printf("%d\tspk%03d\t%s\n", i, i, avs_data_speaker_desc(g, i));
    avs_data_gen_free(&g);
    return 0;
  }
  for (int i = 0; i < avs_data_class_count(kind); i++) {
    if (kind == AVS_DATA_MUSIC) {
      const avs_instrument *ins = avs_instrument_get(i);
      printf("%d\t%s\tGM program %d\tMIDI %d-%d\n", i, ins->name, ins->program + 1, ins->lo, ins->hi);
    } else
      printf("%d\t%s\n", i, avs_data_class_name(kind, i));
  }
  return 0;
}
