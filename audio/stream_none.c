/* Built without PortAudio (AVS_WITH_PORTAUDIO off or portaudio19-dev
 * missing): no stream opens, and the error says why. The other calls can only
 * be reached with a stream that never opened. */
#include <string.h>

#include "audio/stream.h"
#include "av/status.h"

static int no_portaudio(void) {
  return avs_seterr(AVS_EUNSUPPORTED, "AVS was built without PortAudio: live audio is unavailable "
                                      "(install portaudio19-dev and rebuild)");
}

int avs_stream_open(const avs_stream_cfg *cfg, avs_stream **out) {
  (void)cfg;
  *out = NULL;
  return no_portaudio();
}
int avs_stream_start(avs_stream *s) { return (void)s, no_portaudio(); }
int avs_stream_stop(avs_stream *s) { return (void)s, no_portaudio(); }
void avs_stream_free(avs_stream **s) {
  if (s) *s = NULL;
}
int64_t avs_stream_read(avs_stream *s, float *buf, int64_t frames, double timeout_s) {
  (void)s, (void)buf, (void)frames, (void)timeout_s;
  return no_portaudio();
}
int64_t avs_stream_write(avs_stream *s, const float *buf, int64_t frames, double timeout_s) {
  (void)s, (void)buf, (void)frames, (void)timeout_s;
  return no_portaudio();
}
int64_t avs_stream_read_available(const avs_stream *s) { return (void)s, 0; }
int64_t avs_stream_write_available(const avs_stream *s) { return (void)s, 0; }
int avs_stream_drain(avs_stream *s, double timeout_s) {
  (void)s, (void)timeout_s;
  return no_portaudio();
}
void avs_stream_get_stats(const avs_stream *s, avs_stream_stats *st) {
  (void)s;
  memset(st, 0, sizeof *st);
}
int avs_stream_rate(const avs_stream *s) { return (void)s, 0; }
const char *avs_stream_input_name(const avs_stream *s) { return (void)s, ""; }
const char *avs_stream_output_name(const avs_stream *s) { return (void)s, ""; }
int avs_stream_list_devices(char *buf, size_t size) {
  if (size) buf[0] = 0;
  return no_portaudio();
}
