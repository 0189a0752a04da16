/* The faces that stay on screen over a video (avsep speech takes them as its
 * speakers): the detector runs on the frame shown at each time v / fps,
 * v < frames, the IoU tracker (track.h) links its boxes into tracks, and every
 * track seen on at least a quarter of the frames is kept, the most seen first
 * (the older track on a tie). A frame where a kept track has no box takes that
 * track's box nearest in time (the earlier one on a tie), so each kept face has
 * a box on every frame.
 *
 *   avs_face_tracks t = {0};
 *   avs_face_tracks_detect(video, detector, fps, frames, &t);   // t.box[k][v]
 *   avs_face_tracks_release(&t);
 *
 * The selection works on a log of the tracker's boxes (avs_face_log), open so
 * that it can be checked without a video. */
#ifndef AVS_VIDEO_FACES_TRACKS_H
#define AVS_VIDEO_FACES_TRACKS_H

#include "video/faces/detect.h"

#define AVS_FACE_TRACKS_MAX 8 /* more faces that stay on screen: AVS_EUNSUPPORTED */

typedef struct {
  int n;                                /* faces kept */
  int frames;                           /* boxes per face */
  float (*box[AVS_FACE_TRACKS_MAX])[4]; /* box[k][v]: x0, y0, x1, y1 in pixels */
} avs_face_tracks;

/* The boxes of each track id over `frames` frames. */
typedef struct avs_face_log avs_face_log;
int avs_face_log_new(int frames, avs_face_log **out); /* AVS_EINVAL (frames < 1), AVS_ENOMEM */
void avs_face_log_free(avs_face_log **l);
/* Frame v's n boxes r, ids[i] the track of r[i] (avs_face_tracker_update's, from 1). */
int avs_face_log_add(avs_face_log *l, int v, const avs_face_rect *r, const int *ids, int n);
/* The faces kept (as above) into *out, which avs_face_tracks_release frees;
 * none kept is no error (out->n = 0). AVS_EUNSUPPORTED, AVS_ENOMEM. */
int avs_face_log_tracks(const avs_face_log *l, avs_face_tracks *out);

/* The faces that stay on screen in video (as above). AVS_EINVAL (fps <= 0,
 * frames < 1), the decoder's and the detector's errors, as avs_face_log_tracks. */
int avs_face_tracks_detect(const char *video, avs_faces *detector, double fps, int frames, avs_face_tracks *out);
void avs_face_tracks_release(avs_face_tracks *t);

#endif
