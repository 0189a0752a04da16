/* The "actions" kind: 12 motion classes of a random textured object on a
 * cluttered background. Appearance, size and position are drawn independently
 * of the class, and every class spreads positions and sizes symmetrically over
 * the clip, so a single frame does not tell the class: only motion does. */
#ifndef AVS_DATA_ACTIONS_H
#define AVS_DATA_ACTIONS_H

typedef enum {
  AVS_ACT_LEFT, AVS_ACT_RIGHT, AVS_ACT_UP, AVS_ACT_DOWN,  /* translate */
  AVS_ACT_ROTATE_CW, AVS_ACT_ROTATE_CCW,                  /* spin in place (as seen on screen) */
  AVS_ACT_ZOOM_IN, AVS_ACT_ZOOM_OUT,                      /* grow / shrink in place */
  AVS_ACT_BOUNCE,                                         /* hops on a floor */
  AVS_ACT_SHAKE,                                          /* fast side-to-side oscillation */
  AVS_ACT_ORBIT_CW, AVS_ACT_ORBIT_CCW,                    /* circles a point without turning */
  AVS_ACT_COUNT
} avs_action;

int avs_action_count(void);
const char *avs_action_name(int i);

#endif
