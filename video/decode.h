/* Opening and decoding videos with FFmpeg: any container and codec FFmpeg
 * reads (mp4/H.264, mkv, webm/VP9, avi, mov, animated GIF, ...), capture
 * devices through libavdevice (v4l2) and lavfi sources.
 *
 *   avs_video *v = NULL;
 *   if (avs_video_open("clip.mp4", NULL, &v)) fail(avs_errmsg());
 *   const avs_video_info *in = avs_video_info_get(v);   // duration, fps, size, streams
 *   ... read frames with a clip reader (video/clip.h) ...
 *   avs_video_free(&v);
 *
 * Frames are decoded one at a time; nothing holds more than the decoder's own
 * reference frames, so a long video never sits in memory. Damaged packets are
 * skipped with one warning (avs_log) and decoding goes on; a summary warning at
 * avs_video_free says how many were skipped.
 *
 * Frames come out as they are meant to be shown: a display matrix or rotate
 * tag (portrait video from phones) is applied to every frame, and the sizes
 * in avs_video_info are the displayed ones. */
#ifndef AVS_VIDEO_DECODE_H
#define AVS_VIDEO_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define AVS_VIDEO_MAX_STREAMS 16
/* Larger frames are refused at open (about 8K x 8K): one clear error, no
 * multi-gigabyte allocation inside the decoder. */
#define AVS_VIDEO_MAX_PIXELS (8192LL * 8192LL)
#define AVS_VIDEO_MAX_SIDE 16384

typedef struct avs_video avs_video;

typedef struct {
  int index;              /* stream index in the container */
  char type[12];          /* "video", "audio", "subtitle", "data", "attachment" */
  char codec[32];         /* "h264", "aac", ... ("none" when FFmpeg knows no decoder) */
  int width, height;      /* video: as displayed (rotation applied) */
  int rotation;           /* video: degrees clockwise the stored frames are turned to be shown
                             upright (the display matrix or rotate tag): 0, 90, 180, 270 */
  bool mirrored;          /* video: and then mirrored left to right */
  double fps;             /* video: average frame rate, 0 when unknown */
  int sample_rate;        /* audio */
  int channels;           /* audio */
  double duration;        /* seconds, < 0 when unknown */
  int64_t bit_rate;       /* bits/s, 0 when unknown */
  int64_t n_frames;       /* frames per the container, 0 when unknown */
  bool attached_picture;  /* cover art, not a moving video */
} avs_stream_info;

typedef struct {
  char format[64];        /* container, FFmpeg's short name ("mov,mp4,m4a,3gp,3g2,mj2") */
  char format_long[96];
  double duration;        /* seconds, < 0 when unknown (live sources) */
  int64_t bit_rate;
  int n_streams;          /* all streams in the container */
  avs_stream_info streams[AVS_VIDEO_MAX_STREAMS]; /* the first AVS_VIDEO_MAX_STREAMS of them */
  /* The video stream that is decoded (the largest non-cover-art video stream). */
  int video_stream;       /* container index; -1 from avs_media_probe when there is none */
  int width, height;      /* as displayed: frames come out upright, turned as the file asks */
  int rotation;           /* how (avs_stream_info) */
  bool mirrored;
  double fps;             /* average frame rate; 25 assumed when the file says nothing */
  bool fps_guessed;       /* true when fps was assumed */
  int64_t n_frames;       /* from the container or estimated as duration*fps; 0 unknown */
  bool has_audio;
  bool live;              /* a capture device or generator: no seeking, no duration */
} avs_video_info;

typedef struct {
  const char *format;     /* force an input format ("v4l2", "lavfi", "gif"); NULL: probe */
  const char *options;    /* demuxer options "key=value:key=value" (e.g. "video_size=640x480");
                             NULL: none. A value that contains ':' can be written with '\:' */
  int threads;            /* decoder threads, 0: FFmpeg's choice (all cores) */
  bool realtime;          /* pace frames at their timestamps against the wall clock, dropping
                             frames when the reader falls behind (a file playing as a camera) */
  bool loop;              /* with realtime: start again at the end, timestamps keep rising */
} avs_video_opts;

/* Opens url (a path, or a device/lavfi description with opts->format).
 * opts may be NULL. Errors: AVS_ENOTFOUND (missing file, no video stream),
 * AVS_EFORMAT (not a video FFmpeg reads, truncated header), AVS_EUNSUPPORTED
 * (no decoder, frame too large), AVS_EIO. */
int avs_video_open(const char *url, const avs_video_opts *opts, avs_video **out);
/* Describes any file FFmpeg reads, with or without video (an audio-only
 * WAV or M4A): container and streams, and in the video fields the stream
 * avs_video_open would decode, or video_stream -1 when there is none. Reads
 * the headers only. Errors as avs_video_open's for a file it cannot read. */
int avs_media_probe(const char *url, avs_video_info *out);
/* Closes, and logs one warning if damaged packets were skipped. */
void avs_video_free(avs_video **v);

const avs_video_info *avs_video_info_get(const avs_video *v);
const char *avs_video_path(const avs_video *v);

/* Decodes the next frame of the video stream. Returns 1 and its time in
 * seconds from the start of the stream (monotonic), 0 at the end, < 0 on a
 * failure that stops decoding. The frame stays readable (avs_video_frame_size,
 * and the converters in video/preprocess.h) until the next call. */
int avs_video_next(avs_video *v, double *t);
/* Size of the frame last returned by avs_video_next (upright: as displayed). */
void avs_video_frame_size(const avs_video *v, int *w, int *h);

/* Positions the stream so that the next frames returned are those at or just
 * before time t (seconds). Seeks to the key frame before t and decodes forward,
 * dropping earlier frames without converting them. When the container cannot
 * seek, it is reopened and decoded from the start. AVS_EUNSUPPORTED on live sources. */
int avs_video_seek(avs_video *v, double t);

typedef struct {
  int64_t frames;         /* frames returned so far */
  int64_t dropped;        /* frames dropped by realtime pacing */
  int64_t bad_packets;    /* packets the decoder refused (skipped) */
  int64_t damaged_frames; /* frames the decoder marked as concealed/corrupt (kept) */
} avs_video_stats;
void avs_video_stats_get(const avs_video *v, avs_video_stats *s);

#endif
