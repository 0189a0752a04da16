/* Face tracks over the frames of a video: each frame's boxes are matched to
 * the tracks seen lately by overlap (IoU), best pairs first; a box that
 * matches none starts a new track, a track unmatched for more than max_missed
 * frames ends. Ids count from 1 in order of appearance. */
#ifndef AVS_VIDEO_FACES_TRACK_H
#define AVS_VIDEO_FACES_TRACK_H

#include "video/faces/group.h"

#define AVS_FACE_TRACK_IOU 0.3   /* least overlap that continues a track */
#define AVS_FACE_TRACK_MISSED 5  /* frames a track survives without a box */

typedef struct avs_face_tracker avs_face_tracker;

/* Intersection over union of two boxes (0 when either is empty). */
double avs_face_iou(const avs_face_rect *a, const avs_face_rect *b);

/* iou_min in (0, 1], max_missed >= 0; AVS_EINVAL otherwise. */
int avs_face_tracker_new(double iou_min, int max_missed, avs_face_tracker **out);
void avs_face_tracker_free(avs_face_tracker **t);
/* Gives each of this frame's n boxes a track id in ids[0..n). AVS_ENOMEM. */
int avs_face_tracker_update(avs_face_tracker *t, const avs_face_rect *r, int n, int *ids);

#endif
