/* Classify the action in a video with a model file.
 *   classify [VIDEO [MODEL]]   (default: a shipped sample clip and the shipped model)
 *   cc classify.c $(pkg-config --cflags --libs avs) -o classify */
#include <avs.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  const char *video = argc > 1 ? argv[1] : NULL, *model_path = argc > 2 ? argv[2] : NULL;
  char *found[2] = {NULL, NULL}, **labels = NULL;
  int n_labels = 0, status = 1;
  avs_model *model = NULL;
  avs_action_input *in = NULL;
  avs_ctx *ctx = NULL;
  float *x = NULL;

  /* Shipped files are found wherever AVS is: $AVS_DATA, the install, the build tree. */
  if (!video && avs_data_path("samples/actions/clips/actions_test_000000/video.mp4", &found[0]) < 0) goto end;
  if (!model_path && avs_data_path("models/action.safetensors", &found[1]) < 0) goto end;
  video = video ? video : found[0], model_path = model_path ? model_path : found[1];
  printf("model: %s\n", model_path);
  if (avs_action_model_load(model_path, &model) < 0) goto end;
  if (avs_action_model_labels(model, &labels, &n_labels) < 0) labels = NULL; /* print class numbers */

  /* One clip from the start of the video, at the model's size, channels-last. */
  if (avs_action_input_open(model, video, 0, &in) < 0) goto end;
  if (!(x = malloc(sizeof *x * avs_action_input_numel(in)))) goto end;
  if (avs_action_input_read(in, 0.0, x) <= 0) goto end;
  const avs_action_base *b = avs_action_model_base(model);
  if (!(ctx = avs_ctx_new(&(avs_ctx_params){.train = false}))) goto end;
  avs_tensor *clip = avs_ctx_wrap(ctx, x, 5, AVS_SHAPE(1, b->frames, b->height, b->width, avs_action_channels(model)));
  avs_tensor *p = avs_softmax(ctx, avs_action_model_forward(ctx, model, clip)); /* NULL propagates */
  if (!p) goto end;

  int best = 0;
  for (int k = 1; k < b->classes; k++)
    if (p->data[k] > p->data[best]) best = k;
  if (labels) printf("%s: %s (%.3f)\n", video, labels[best], p->data[best]);
  else printf("%s: class %d (%.3f)\n", video, best, p->data[best]);
  status = 0;
end:
  if (status) fprintf(stderr, "classify: %s\n", avs_errmsg()[0] ? avs_errmsg() : "out of memory");
  avs_ctx_free(&ctx);
  free(x);
  avs_action_input_free(&in);
  avs_labels_free(&labels, n_labels);
  avs_model_free(&model);
  free(found[0]), free(found[1]);
  return status;
}
