/* The video front end, everything at once: decoding and clip sampling,
 * preprocessing, writing MP4/PNG with overlays, optical flow, camera input,
 * face detection with OpenCV cascades and face tracks (video/faces/).
 * See docs/VIDEO.md. */
#ifndef AVS_VIDEO_VIDEO_H
#define AVS_VIDEO_VIDEO_H

#include "video/camera.h"
#include "video/clip.h"
#include "video/colormap.h"
#include "video/decode.h"
#include "video/encode.h"
#include "video/faces/cascade.h"
#include "video/faces/detect.h"
#include "video/faces/group.h"
#include "video/faces/pyramid.h"
#include "video/faces/track.h"
#include "video/flow_tvl1.h"
#include "video/flow_vis.h"
#include "video/font.h"
#include "video/image.h"
#include "video/overlay.h"
#include "video/png.h"
#include "video/preprocess.h"
#include "video/redraw.h"

#endif
