/* Separate the sounds of a video, one WAV per source found in the picture.
 *   separate [VIDEO [MODEL]]   (default: the shipped trio clip and the shipped model)
 *   cc separate.c $(pkg-config --cflags --libs avs) -o separate */
#include <avs.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  const char *video = argc > 1 ? argv[1] : NULL, *model_path = argc > 2 ? argv[2] : NULL;
  char *found[2] = {NULL, NULL};
  int status = 1, n = 0;
  avs_model *model = NULL;
  avs_audio *x = NULL;
  avs_image frames[8] = {{0}};
  float *tracks[AVS_DISCOVER_MAX] = {NULL};
  avs_discover_result found_src;

  if (!video && avs_data_path("samples/music/clips/music_test_000000/video.mp4", &found[0]) < 0) goto end;
  if (!model_path && avs_data_path("models/sep.safetensors", &found[1]) < 0) goto end;
  video = video ? video : found[0], model_path = model_path ? model_path : found[1];
  if (avs_sep_model_load(model_path, NULL, &model) < 0) goto end;
  avs_sep_geometry g;
  avs_sep_model_geometry(model, &g);
  if (g.frames > 8) goto end;

  /* The soundtrack at the model's rate, mono. */
  if (avs_track_load(video, &(avs_track_opts){.rate = g.rate, .channels = 1}, &x) < 0) goto end;
  if (x->frames < g.samples) goto end; /* this short example looks at the first window only */

  /* Where the sounds are: discovery on the first window and its frames. */
  double times[8];
  avs_sep_frame_times(&g, 0, times);
  if (avs_image_frames_at(video, times, g.frames, frames) < 0) goto end;
  if (avs_sep_discover(model, x->data, frames, &(avs_discover_opts){0}, &found_src) < 0) goto end;
  n = found_src.n ? found_src.n : 1;
  float boxes[AVS_DISCOVER_MAX][4];
  for (int k = 0; k < n; k++)
    for (int i = 0; i < 4; i++) boxes[k][i] = found_src.n ? found_src.src[k].box[i] : (i < 2 ? 0 : i == 2 ? frames[0].w : frames[0].h);

  /* Each source over the whole soundtrack, by its box. */
  for (int k = 0; k < n; k++)
    if (!(tracks[k] = malloc(sizeof(float) * (size_t)x->frames))) goto end;
  avs_sep_video_job job = {.sources = n, .boxes = (const float(*)[4])boxes};
  if (avs_sep_separate_video(model, video, x->data, x->frames, &job, tracks) < 0) goto end;
  for (int k = 0; k < n; k++) {
    char name[32];
    snprintf(name, sizeof name, "source_%d.wav", k + 1);
    avs_audio a = {.data = tracks[k], .frames = x->frames, .channels = 1, .rate = g.rate};
    if (avs_audio_write(name, &a, AVS_SAMPLE_FLOAT) < 0) goto end;
    printf("%s: box [%.0f, %.0f, %.0f, %.0f]\n", name, boxes[k][0], boxes[k][1], boxes[k][2], boxes[k][3]);
  }
  status = 0;
end:
  if (status) fprintf(stderr, "separate: %s\n", avs_errmsg()[0] ? avs_errmsg() : "cannot separate this video");
  for (int k = 0; k < AVS_DISCOVER_MAX; k++) free(tracks[k]);
  for (int i = 0; i < 8; i++) avs_image_release(&frames[i]);
  avs_audio_free(&x);
  avs_model_free(&model);
  free(found[0]), free(found[1]);
  return status;
}
