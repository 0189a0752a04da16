/* Sentences for the "speech" kind from a small grammar over a word list:
 * subject, verb, object, then optionally a place and a manner, e.g.
 * "the quiet farmer painted a yellow boat near the river slowly". */
#include <stdio.h>
#include <string.h>

#include "data/generator/speech.h"

#define N(a) (int)(sizeof a / sizeof *a)

static const char *det[] = {"the", "a", "my", "his", "her", "our", "their", "this", "that", "every", "one"};
static const char *adj[] = {
    "quiet", "yellow", "little", "happy", "old",    "young",  "bright", "dark",   "heavy",  "green",  "tiny",
    "brave", "clever", "gentle", "lucky", "silver", "purple", "sleepy", "hungry", "busy",   "famous", "strange",
    "wooden", "golden", "shiny", "proud", "noisy",  "lazy",   "funny",  "angry",  "calm",   "warm",   "cold",
    "broken", "empty", "round", "soft",  "sharp",  "sweet",  "wild"};
static const char *noun[] = {
    "farmer", "boat",   "river",   "teacher", "garden", "window", "doctor", "rabbit", "dragon", "pilot",
    "baker",  "forest", "castle",  "kitten",  "tiger",  "letter", "violin", "kettle", "bridge", "monkey",
    "sailor", "island", "mountain","pencil",  "robot",  "singer", "wizard", "parrot", "farm",   "lamp",
    "table",  "basket", "mirror",  "tractor", "cookie", "pirate", "rocket", "hammer", "bottle", "camel",
    "turtle", "engine", "planet",  "village", "market", "blanket","ladder", "garage", "puppy",  "lemon"};
static const char *name[] = {"Anna", "Peter", "Maria", "Oscar", "Linda", "Victor", "Sophie", "Hugo",
                             "Emma", "David", "Nora",  "Felix", "Julia", "Martin", "Clara",  "Simon"};
static const char *verb[] = {"painted", "found",   "carried", "watched", "opened",  "cleaned", "followed",
                             "visited", "pushed",  "lifted",  "dropped", "fixed",   "bought",  "hid",
                             "borrowed","touched", "counted", "washed",  "dragged", "noticed", "greeted",
                             "repaired","sold",    "chased",  "called",  "kicked",  "packed",  "guarded"};
static const char *prep[] = {"near", "behind", "under", "beside", "inside", "above", "across", "around", "past"};
static const char *adv[] = {"slowly", "quickly", "today",  "again",  "gently", "twice",   "quietly",
                            "happily","early",   "loudly", "calmly", "safely", "yesterday", "carefully"};

static const char *pick(avs_rng *r, const char **list, int n) { return list[avs_rng_below(r, (uint32_t)n)]; }

static int noun_phrase(avs_rng *r, char *buf, int size, int *o, int room) {
  int words = 0;
  if (room >= 1 && avs_rng_uniform(r) < 0.2f) {
    *o += snprintf(buf + *o, (size_t)(size - *o), "%s%s", *o ? " " : "", pick(r, name, N(name)));
    return 1;
  }
  *o += snprintf(buf + *o, (size_t)(size - *o), "%s%s", *o ? " " : "", pick(r, det, N(det)));
  words++;
  if (room >= 3 && avs_rng_uniform(r) < 0.6f) {
    *o += snprintf(buf + *o, (size_t)(size - *o), " %s", pick(r, adj, N(adj)));
    words++;
  }
  *o += snprintf(buf + *o, (size_t)(size - *o), " %s", pick(r, noun, N(noun)));
  return words + 1;
}

int avs_sentence_random(avs_rng *rng, int max_words, char *buf, int size) {
  if (max_words < 3) max_words = 3;
  int o = 0, words = 0;
  buf[0] = 0;
  /* subject + verb + object: 3..7 words */
  words += noun_phrase(rng, buf, size, &o, max_words - 3 >= 2 ? 3 : 2);
  o += snprintf(buf + o, (size_t)(size - o), " %s", pick(rng, verb, N(verb)));
  words++;
  words += noun_phrase(rng, buf, size, &o, max_words - words);
  if (max_words - words >= 3 && avs_rng_uniform(rng) < 0.6f) {
    o += snprintf(buf + o, (size_t)(size - o), " %s", pick(rng, prep, N(prep)));
    words++;
    words += noun_phrase(rng, buf, size, &o, max_words - words);
  }
  if (max_words - words >= 1 && avs_rng_uniform(rng) < 0.4f) {
    o += snprintf(buf + o, (size_t)(size - o), " %s", pick(rng, adv, N(adv)));
    words++;
  }
  (void)o;
  return words;
}
