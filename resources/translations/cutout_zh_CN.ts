<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>BatchDialog</name>
    <message>
        <source>Batch cut-out</source>
        <translation>批量抠图</translation>
    </message>
    <message>
        <source>Folder with the photos to cut out</source>
        <translation>存放待抠图照片的文件夹</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Folder for the PNG results (created if needed)</source>
        <translation>保存 PNG 结果的文件夹（不存在时自动创建）</translation>
    </message>
    <message>
        <source>Include sub-folders</source>
        <translation>包括子文件夹</translation>
    </message>
    <message>
        <source>Overwrite existing results</source>
        <translation>覆盖已有结果</translation>
    </message>
    <message>
        <source>When unchecked, photos whose PNG already exists are skipped.</source>
        <translation>不勾选时，已有 PNG 结果的照片将被跳过。</translation>
    </message>
    <message>
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Input folder:</source>
        <translation>输入文件夹：</translation>
    </message>
    <message>
        <source>Output folder:</source>
        <translation>输出文件夹：</translation>
    </message>
    <message>
        <source>Colour…</source>
        <translation>颜色…</translation>
    </message>
    <message>
        <source>Pixels more likely than this to be foreground are kept.</source>
        <translation>前景概率高于此值的像素将被保留。</translation>
    </message>
    <message>
        <source>Refine edges</source>
        <translation>优化边缘</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Output:</source>
        <translation>输出：</translation>
    </message>
    <message>
        <source>Threshold:</source>
        <translation>阈值：</translation>
    </message>
    <message>
        <source>%v of %m files</source>
        <translation>%v / %m 个文件</translation>
    </message>
    <message>
        <source>Ready.</source>
        <translation>就绪。</translation>
    </message>
    <message>
        <source>Edges:</source>
        <translation>边缘：</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>The summary appears here when the batch ends.</source>
        <translation>批处理结束后将在此处显示汇总。</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Cancel batch</source>
        <translation>取消批处理</translation>
    </message>
    <message>
        <source>Choose the folder of photos</source>
        <translation>选择照片所在文件夹</translation>
    </message>
    <message>
        <source>Choose the output folder</source>
        <translation>选择输出文件夹</translation>
    </message>
    <message>
        <source>Background colour</source>
        <translation>背景颜色</translation>
    </message>
    <message>
        <source>Choose the folder of photos to cut out.</source>
        <translation>请选择待抠图照片所在的文件夹。</translation>
    </message>
    <message>
        <source>Choose the output folder.</source>
        <translation>请选择输出文件夹。</translation>
    </message>
    <message>
        <source>Looking for photos…</source>
        <translation>正在查找照片…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Cutting out {count} photos…</source>
        <translation>正在为 {count} 张照片抠图…</translation>
    </message>
    <message>
        <source>Nothing to do.</source>
        <translation>没有需要处理的照片。</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Skipped (result exists)</source>
        <translation>已跳过（结果已存在）</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Results are in {folder}</source>
        <translation>结果保存在 {folder}</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Finished.</source>
        <translation>已完成。</translation>
    </message>
    <message>
        <source>The batch could not run: {reason}</source>
        <translation>批处理无法运行：{reason}</translation>
    </message>
</context>
<context>
    <name>EdgeOptions</name>
    <message>
        <source>Clean edge colours</source>
        <translation>净化边缘颜色</translation>
    </message>
    <message>
        <source>In hair and soft edges, export the subject&apos;s own colour instead of a mix with the old background.</source>
        <translation>在头发和柔和边缘处，导出主体本身的颜色，而不是混入原背景的颜色。</translation>
    </message>
    <message>
        <source>Alpha matting for hair and fur (slower)</source>
        <translation>头发和毛发的 Alpha 抠图（较慢）</translation>
    </message>
    <message>
        <source>Recompute the transparency along the outline from the photo&apos;s colours.</source>
        <translation>根据照片的颜色重新计算轮廓附近的透明度。</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export cut-out</source>
        <translation>导出抠图</translation>
    </message>
    <message>
        <source>Browse...</source>
        <translation>浏览...</translation>
    </message>
    <message>
        <source>Result:</source>
        <translation>结果：</translation>
    </message>
    <message>
        <source>Edges:</source>
        <translation>边缘：</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>Background colour</source>
        <translation>背景颜色</translation>
    </message>
    <message>
        <source>Export as</source>
        <translation>导出为</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Replace file</source>
        <translation>替换文件</translation>
    </message>
    <message>
        <source>{name} already exists. Replace it?</source>
        <translation>{name} 已存在。要替换吗？</translation>
    </message>
</context>
<context>
    <name>ExportMode</name>
    <message>
        <source>Transparent PNG (RGBA)</source>
        <translation>透明 PNG（RGBA）</translation>
    </message>
    <message>
        <source>Mask only (grayscale)</source>
        <translation>仅蒙版（灰度）</translation>
    </message>
    <message>
        <source>On a background colour</source>
        <translation>使用背景色</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open...</source>
        <translation>打开(&amp;O)...</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Export...</source>
        <translation>导出(&amp;E)...</translation>
    </message>
    <message>
        <source>&amp;Batch Export...</source>
        <translation>批量导出(&amp;B)...</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Bigger brush</source>
        <translation>增大画笔</translation>
    </message>
    <message>
        <source>Smaller brush</source>
        <translation>减小画笔</translation>
    </message>
    <message>
        <source>&amp;Mask</source>
        <translation>蒙版(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Segment</source>
        <translation>分割(&amp;S)</translation>
    </message>
    <message>
        <source>Segment</source>
        <translation>分割</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>C&amp;lear Clicks</source>
        <translation>清除点击(&amp;L)</translation>
    </message>
    <message>
        <source>Run the Model &amp;On</source>
        <translation>模型运行于(&amp;O)</translation>
    </message>
    <message>
        <source>Automatic (CUDA if available)</source>
        <translation>自动（有 CUDA 时使用 CUDA）</translation>
    </message>
    <message>
        <source>CUDA (GPU)</source>
        <translation>CUDA（GPU）</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>放大(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>缩小(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Fit to Window</source>
        <translation>适应窗口(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Actual Size (100%)</source>
        <translation>实际大小（100%）(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About cutout</source>
        <translation>关于 cutout(&amp;A)</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>Mask and view</source>
        <extracomment>A photo was opened (its path). Segmentation ended: &quot;done&quot;, &quot;cancelled&quot; or &quot;failed&quot;. Export ended: the written Path, or None if it failed.</extracomment>
        <translation>蒙版与视图</translation>
    </message>
    <message>
        <source>Model not available</source>
        <translation>模型不可用</translation>
    </message>
    <message>
        <source>Segmentation is disabled: {reason}</source>
        <translation>分割功能已停用：{reason}</translation>
    </message>
    <message>
        <source>Open photo</source>
        <translation>打开照片</translation>
    </message>
    <message>
        <source>Images ({patterns});;All files (*)</source>
        <translation>图像 ({patterns});;所有文件 (*)</translation>
    </message>
    <message>
        <source>Cannot open photo</source>
        <translation>无法打开照片</translation>
    </message>
    <message>
        <source>Not enough memory to open {name}.</source>
        <translation>内存不足，无法打开 {name}。</translation>
    </message>
    <message>
        <source>Opened {name}</source>
        <translation>已打开 {name}</translation>
    </message>
    <message>
        <source>Restored the unsaved edits</source>
        <translation>已恢复未保存的编辑</translation>
    </message>
    <message>
        <source>Autosave failed</source>
        <translation>自动保存失败</translation>
    </message>
    <message>
        <source>Edits are no longer saved automatically: {reason}</source>
        <translation>编辑内容将不再自动保存：{reason}</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>Clear list</source>
        <translation>清除列表</translation>
    </message>
    <message>
        <source>tiles</source>
        <translation>个图块</translation>
    </message>
    <message>
        <source>Segmentation cancelled</source>
        <translation>分割已取消</translation>
    </message>
    <message>
        <source>Segmenting...</source>
        <translation>正在分割...</translation>
    </message>
    <message>
        <source>Segmented with {model}</source>
        <translation>已使用 {model} 完成分割</translation>
    </message>
    <message>
        <source>Segmentation failed</source>
        <translation>分割失败</translation>
    </message>
    <message>
        <source>Autosave</source>
        <translation>自动保存</translation>
    </message>
    <message>
        <source>Cancelling...</source>
        <translation>正在取消...</translation>
    </message>
    <message>
        <source>Refinement cancelled</source>
        <translation>已取消精细化</translation>
    </message>
    <message>
        <source>Wait for the segmentation to finish, or press Esc</source>
        <translation>请等待分割完成，或按 Esc</translation>
    </message>
    <message>
        <source>This model takes no clicks: press Space, or use the brush</source>
        <translation>此模型不支持点击：请按空格键，或使用画笔</translation>
    </message>
    <message>
        <source>Clicks cleared</source>
        <translation>已清除点击</translation>
    </message>
    <message>
        <source>Refining...</source>
        <translation>正在精细化...</translation>
    </message>
    <message>
        <source>Mask updated</source>
        <translation>蒙版已更新</translation>
    </message>
    <message>
        <source>Segmenting the click...</source>
        <translation>正在按点击分割...</translation>
    </message>
    <message>
        <source>edge tiles</source>
        <translation>边缘图块</translation>
    </message>
    <message>
        <source>Exporting {name}...</source>
        <translation>正在导出 {name}...</translation>
    </message>
    <message>
        <source>Exported {path}</source>
        <translation>已导出 {path}</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>Undone</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <source>Redone</source>
        <translation>已重做</translation>
    </message>
    <message>
        <source>Brush size {size} px</source>
        <translation>画笔大小 {size} 像素</translation>
    </message>
    <message>
        <source>Batch export</source>
        <translation>批量导出</translation>
    </message>
    <message>
        <source>(not available)</source>
        <translation>（不可用）</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>The new language applies after cutout is restarted.</source>
        <translation>新语言将在重新启动 cutout 后生效。</translation>
    </message>
    <message>
        <source>About cutout</source>
        <translation>关于 cutout</translation>
    </message>
    <message>
        <source>cutout cuts subjects out of photos with a U-Net run tile by tile.

{model}</source>
        <translation>cutout 使用逐块运行的 U-Net 从照片中抠出主体。

{model}</translation>
    </message>
</context>
<context>
    <name>Prompter</name>
    <message>
        <source>Restore edits</source>
        <translation>恢复编辑</translation>
    </message>
    <message>
        <source>This photo has unsaved edits from {when}. Restore them?</source>
        <translation>此照片有 {when} 留下的未保存编辑。是否恢复？</translation>
    </message>
    <message>
        <source>Unsaved edits</source>
        <translation>未保存的编辑</translation>
    </message>
    <message>
        <source>The edits of {name} have not been exported.</source>
        <translation>{name} 的编辑尚未导出。</translation>
    </message>
    <message>
        <source>Export them before closing?</source>
        <translation>关闭前是否导出？</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>Model: none</source>
        <translation>模型：无</translation>
    </message>
    <message>
        <source>Model: {name} {version} · {provider}</source>
        <translation>模型：{name} {version} · {provider}</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>Tool</name>
    <message>
        <source>Click to segment</source>
        <translation>点击分割</translation>
    </message>
    <message>
        <source>Add brush</source>
        <translation>添加画笔</translation>
    </message>
    <message>
        <source>Erase brush</source>
        <translation>擦除画笔</translation>
    </message>
    <message>
        <source>Keep / remove region</source>
        <translation>保留 / 移除区域</translation>
    </message>
    <message>
        <source>Pan</source>
        <translation>平移</translation>
    </message>
</context>
<context>
    <name>ToolPanel</name>
    <message>
        <source>Segment (Space)</source>
        <translation>分割（空格键）</translation>
    </message>
    <message>
        <source>Brush</source>
        <translation>画笔</translation>
    </message>
    <message>
        <source>Size ([ ]):</source>
        <translation>大小（[ ]）：</translation>
    </message>
    <message>
        <source>Hardness:</source>
        <translation>硬度：</translation>
    </message>
    <message>
        <source>Refine at full resolution</source>
        <translation>以全分辨率精细化</translation>
    </message>
    <message>
        <source>After each click, refine the mask tile by tile (slower, sharper edges).</source>
        <translation>每次点击后逐块精细化蒙版（较慢，边缘更清晰）。</translation>
    </message>
    <message>
        <source>Click (C)</source>
        <translation>点击 (C)</translation>
    </message>
    <message>
        <source>Left click: keep · right or Shift+click: remove · Esc: clear clicks</source>
        <translation>左键：保留 · 右键或 Shift+点击：移除 · Esc：清除点击</translation>
    </message>
    <message>
        <source>Mask</source>
        <translation>蒙版</translation>
    </message>
    <message>
        <source>Threshold:</source>
        <translation>阈值：</translation>
    </message>
    <message>
        <source>Edge softness:</source>
        <translation>边缘柔和度：</translation>
    </message>
    <message>
        <source>View</source>
        <translation>视图</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <source>Overlay opacity:</source>
        <translation>叠加不透明度：</translation>
    </message>
    <message>
        <source>Overlay colour:</source>
        <translation>叠加颜色：</translation>
    </message>
    <message>
        <source>Overlay colour</source>
        <translation>叠加颜色</translation>
    </message>
</context>
<context>
    <name>ViewMode</name>
    <message>
        <source>Overlay</source>
        <translation>叠加</translation>
    </message>
    <message>
        <source>Cutout</source>
        <translation>抠图结果</translation>
    </message>
    <message>
        <source>Side by side</source>
        <translation>并排对比</translation>
    </message>
</context>
<context>
    <name>cutout</name>
    <message>
        <source>Done: {done}, skipped (output exists): {skipped}, failed: {failed}.</source>
        <translation>完成：{done}，跳过（结果已存在）：{skipped}，失败：{failed}。</translation>
    </message>
    <message>
        <source>Cancelled: {count} file(s) not processed.</source>
        <translation>已取消：{count} 个文件未处理。</translation>
    </message>
    <message>
        <source>These files could not be cut out:</source>
        <translation>以下文件无法抠图：</translation>
    </message>
    <message>
        <source>Not retried, they failed in an earlier run (--retry-failed retries them): {count}</source>
        <translation>未重试，它们在之前的运行中失败（--retry-failed 可重试）：{count}</translation>
    </message>
    <message>
        <source>All runs into this folder ({manifest}): {done} done, {failed} failed.</source>
        <translation>此文件夹的全部运行（{manifest}）：{done} 个完成，{failed} 个失败。</translation>
    </message>
</context>
</TS>
