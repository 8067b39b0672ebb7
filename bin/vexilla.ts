#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { defineVexillaApp } from '../lib/vexilla-app.js';

/** The CDK app (cdk.json runs it): lib/vexilla-app.ts defines what it holds. */
defineVexillaApp(new App());
