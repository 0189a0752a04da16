/* Grouping of a cascade's raw detections as OpenCV's groupRectangles does:
 * rectangles whose sides all lie within eps * (mean of the smaller sides) of
 * each other are linked, linked chains form a group, a group is kept when it
 * has more than threshold members, as the members' rounded mean, unless it
 * lies inside another kept group (within eps of that group's size) that has
 * more members (more than max(3, its own), or it has fewer than 3). */
#ifndef AVS_VIDEO_FACES_GROUP_H
#define AVS_VIDEO_FACES_GROUP_H

typedef struct {
  int x, y, w, h;
} avs_face_rect;

/* Groups r[0..n) in place; returns the count of groups kept (in the order of
 * their first member), or AVS_ENOMEM. weights (may be NULL, n entries) gets
 * each kept group's member count. threshold <= 0 keeps r unchanged. */
int avs_faces_group(avs_face_rect *r, int n, int threshold, double eps, int *weights);

#endif
