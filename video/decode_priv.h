/* Private to video/: the decoder state, shared by decode.c (which owns it),
 * preprocess.c (which converts its current frame) and clip.c. */
#ifndef AVS_VIDEO_DECODE_PRIV_H
#define AVS_VIDEO_DECODE_PRIV_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include "video/decode.h"
#include "video/orient_priv.h"

struct avs_video {
  char *url;
  avs_video_opts opts;
  char *format, *options;   /* owned copies of opts.format / opts.options */
  AVFormatContext *fmt;
  AVCodecContext *dec;
  AVPacket *pkt;
  AVFrame *frame;           /* the frame last returned by avs_video_next */
  int stream;               /* container index of the decoded stream */
  int orient;               /* how its frames are turned upright (orient_priv.h), 0: as stored */
  avs_orienter *orienter;
  avs_video_info info;
  double tb;                /* stream time base in seconds */
  int64_t start_pts;        /* stream start time in time base units (0 when unknown) */
  double frame_dur;         /* 1/fps */
  double last_t;            /* time of the last frame returned; NAN after open/seek */
  double skip_until;        /* after a seek, frames before this are dropped; -INFINITY none */
  bool demux_eof, flushed, dec_eof;
  int read_errors;          /* consecutive demuxer errors */
  /* realtime pacing */
  double wall0, pts0;       /* wall clock and stream time of the first paced frame; wall0 < 0 unset */
  double loop_offset;       /* added to timestamps after each loop */
  int late_run;             /* consecutive frames dropped for lateness */
  avs_video_stats stats;
  double seek_t;            /* the last seek target (NAN: none), for the early-end warning */
  bool warned_bad, warned_damaged, warned_short;
};

#endif
