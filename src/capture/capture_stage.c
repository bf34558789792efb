/* capture_stage.c -- stage marker. */
int wd_capture_stage_marker;
