/* Live audio through PortAudio: capture and/or playback of interleaved float
 * frames. PortAudio's callback only copies between the device and lock-free
 * single-producer/single-consumer ring buffers allocated at open (no
 * allocation, lock or system call per callback); the application reads and
 * writes the rings from one thread with avs_stream_read/avs_stream_write.
 * Frames the callback cannot place (capture ring full) are counted as
 * overruns, silence it has to play (playback ring empty after the first
 * write) as underruns, and PortAudio's own over/underflow flags are counted.
 *
 * Devices: PortAudio's default, or the first whose name contains cfg.device
 * (case-insensitive), or "#N" for device index N. On Debian, PortAudio 19.6
 * has no PulseAudio host API; ALSA's "pulse" device (libasound2-plugins)
 * reaches a PulseAudio server, and ALSA's "default" does when one runs.
 *
 * AVS built without PortAudio (AVS_WITH_PORTAUDIO off, or portaudio19-dev
 * missing at configure time): avs_stream_open and avs_stream_list_devices
 * return AVS_EUNSUPPORTED saying so. */
#ifndef AVS_STREAM_H
#define AVS_STREAM_H

#include <stddef.h>
#include <stdint.h>

typedef struct avs_stream_cfg {
  const char *device;    /* NULL: default devices */
  int rate;              /* Hz */
  int in_channels;       /* capture channels; 0: no capture */
  int out_channels;      /* playback channels; 0: no playback */
  int frames_per_buffer; /* 0: PortAudio chooses */
  double ring_seconds;   /* each ring's capacity; 0: 2 s */
  double latency;        /* suggested latency in seconds; 0: the device's default low latency */
} avs_stream_cfg;

typedef struct avs_stream_stats {
  int64_t captured;          /* frames the callback put into the capture ring */
  int64_t played;            /* frames the callback took from the playback ring */
  int64_t overruns;          /* captured frames dropped: the ring was full */
  int64_t underruns;         /* frames of silence played after the first write: the ring was empty */
  int64_t input_overflows;   /* callbacks flagged paInputOverflow */
  int64_t output_underflows; /* callbacks flagged paOutputUnderflow */
  int64_t callbacks;
} avs_stream_stats;

typedef struct avs_stream avs_stream;

int avs_stream_open(const avs_stream_cfg *cfg, avs_stream **out);
int avs_stream_start(avs_stream *s);
/* Stops after the queued playback has been handed to the device. */
int avs_stream_stop(avs_stream *s);
void avs_stream_free(avs_stream **s);

/* Copies up to `frames` captured frames, waiting at most timeout_s seconds
 * for them (0: no waiting). Returns the frames copied or a negative code. */
int64_t avs_stream_read(avs_stream *s, float *buf, int64_t frames, double timeout_s);
/* Queues up to `frames` frames for playback, waiting at most timeout_s for
 * room. Returns the frames queued or a negative code. */
int64_t avs_stream_write(avs_stream *s, const float *buf, int64_t frames, double timeout_s);
int64_t avs_stream_read_available(const avs_stream *s);
int64_t avs_stream_write_available(const avs_stream *s);
/* Blocks until the playback ring is empty (or timeout_s passes); 0 when drained. */
int avs_stream_drain(avs_stream *s, double timeout_s);

void avs_stream_get_stats(const avs_stream *s, avs_stream_stats *st);
int avs_stream_rate(const avs_stream *s);
/* The devices in use ("" for a direction not opened). */
const char *avs_stream_input_name(const avs_stream *s);
const char *avs_stream_output_name(const avs_stream *s);

/* One line per device ("#N name (in X, out Y, rate R)") into buf. */
int avs_stream_list_devices(char *buf, size_t size);

#endif
