/* flow_stage.c -- stage marker. */
int wd_flow_stage_marker;
